//! Exact fixed-point money and contract counts.
//!
//! Kalshi sends prices and money as dollar strings (`"0.5600"`, up to 6 decimals in
//! responses; see the OpenAPI schema `FixedPointDollars`) and contract counts as
//! fixed-point strings with 2 decimals (`"10.00"`, schema `FixedPointCount`). Older
//! payloads carried integer cents and integer counts. Both are parsed here, at the
//! boundary, into integers; nothing in the desk ever holds money in an `f64`.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a fixed-point string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseFixedError {
    /// The text is empty or is not `[-]digits[.digits]`.
    #[error("not a decimal number: {0:?}")]
    Syntax(String),
    /// More fractional digits than the type can hold exactly.
    #[error("too many decimals in {text:?} (at most {max})")]
    Precision { text: String, max: u32 },
    /// The value does not fit in 64 bits.
    #[error("number out of range: {0:?}")]
    Range(String),
}

/// Parses `[-]int[.frac]` into an integer scaled by `10^scale`.
fn parse_scaled(text: &str, scale: u32) -> Result<i64, ParseFixedError> {
    let t = text.trim();
    let (neg, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    let syntax = || ParseFixedError::Syntax(text.to_owned());
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(syntax());
    }
    // Trailing zeros beyond the scale are harmless ("0.560000" as cents-of-cents).
    let frac = frac.trim_end_matches('0');
    if frac.len() > scale as usize {
        return Err(ParseFixedError::Precision {
            text: text.to_owned(),
            max: scale,
        });
    }
    let range = || ParseFixedError::Range(text.to_owned());
    let mut value: i64 = 0;
    for b in int.bytes() {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(b - b'0')))
            .ok_or_else(range)?;
    }
    for i in 0..scale as usize {
        let digit = frac.as_bytes().get(i).map_or(0, |b| i64::from(b - b'0'));
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(digit))
            .ok_or_else(range)?;
    }
    Ok(if neg { -value } else { value })
}

fn write_scaled(
    f: &mut fmt::Formatter<'_>,
    value: i64,
    scale: u32,
    min_decimals: u32,
) -> fmt::Result {
    let unit = 10_i64.pow(scale);
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.unsigned_abs();
    let int = abs / unit as u64;
    let mut frac = abs % unit as u64;
    let mut decimals = scale;
    while decimals > min_decimals && frac.is_multiple_of(10) {
        frac /= 10;
        decimals -= 1;
    }
    if decimals == 0 {
        write!(f, "{sign}{int}")
    } else {
        write!(f, "{sign}{int}.{frac:0width$}", width = decimals as usize)
    }
}

macro_rules! fixed_point {
    ($(#[$doc:meta])* $name:ident, scale = $scale:expr, min_decimals = $min:expr, unit = $unit:literal, int = $int_doc:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(i64);

        impl $name {
            /// Decimal digits held exactly.
            pub const SCALE: u32 = $scale;
            /// One whole unit (one dollar / one contract) in raw units.
            pub const ONE: Self = Self(10_i64.pow($scale));
            /// Zero.
            pub const ZERO: Self = Self(0);

            #[doc = concat!("From raw units of ", $unit, ".")]
            pub const fn from_raw(raw: i64) -> Self { Self(raw) }
            #[doc = concat!("Raw units of ", $unit, ".")]
            pub const fn raw(self) -> i64 { self.0 }
            #[doc = $int_doc]
            pub const fn from_int(whole: i64) -> Self { Self(whole * 10_i64.pow($scale)) }
            /// True for zero.
            pub const fn is_zero(self) -> bool { self.0 == 0 }
            /// True for values below zero.
            pub const fn is_negative(self) -> bool { self.0 < 0 }
            /// Absolute value.
            pub const fn abs(self) -> Self { Self(self.0.abs()) }
            /// Checked addition.
            pub fn checked_add(self, o: Self) -> Option<Self> { self.0.checked_add(o.0).map(Self) }
            /// Checked subtraction.
            pub fn checked_sub(self, o: Self) -> Option<Self> { self.0.checked_sub(o.0).map(Self) }
        }

        impl std::ops::Add for $name { type Output = Self; fn add(self, o: Self) -> Self { Self(self.0 + o.0) } }
        impl std::ops::Sub for $name { type Output = Self; fn sub(self, o: Self) -> Self { Self(self.0 - o.0) } }
        impl std::ops::AddAssign for $name { fn add_assign(&mut self, o: Self) { self.0 += o.0 } }
        impl std::ops::SubAssign for $name { fn sub_assign(&mut self, o: Self) { self.0 -= o.0 } }
        impl std::ops::Neg for $name { type Output = Self; fn neg(self) -> Self { Self(-self.0) } }

        impl FromStr for $name {
            type Err = ParseFixedError;
            fn from_str(s: &str) -> Result<Self, Self::Err> { parse_scaled(s, $scale).map(Self) }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { write_scaled(f, self.0, $scale, $min) }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { write!(f, concat!(stringify!($name), "({})"), self) }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> { s.collect_str(self) }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str(concat!("a fixed-point string (", $unit, ")"))
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$name, E> { v.parse().map_err(E::custom) }
                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<$name, E> {
                        v.checked_mul(10_i64.pow($scale)).map($name).ok_or_else(|| E::custom("number out of range"))
                    }
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<$name, E> {
                        i64::try_from(v).map_err(E::custom).and_then(|v| self.visit_i64(v))
                    }
                }
                d.deserialize_any(V)
            }
        }
    };
}

fixed_point!(
    /// An exact dollar amount: a price (`"0.5600"`), a cost, a fee or a balance.
    ///
    /// Held as integer micro-dollars (1/1,000,000 $), so every value Kalshi sends (up to
    /// 6 decimals in responses, schema `FixedPointDollars`) is exact. Formats with at
    /// least 4 decimals, Kalshi's canonical price form: `"0.5600"`, `"0.000125"`.
    /// A bare JSON integer decodes as whole dollars; legacy integer *cents* fields are
    /// converted with [`Dollars::from_cents`] by the wire types that carry them.
    Dollars, scale = 6, min_decimals = 4, unit = "1/1,000,000 dollar", int = "From whole dollars."
);

fixed_point!(
    /// An exact contract count: `"10.00"`, `"2.50"` (schema `FixedPointCount`, 0.01 contract).
    ///
    /// Held as integer hundredths of a contract; formats with exactly 2 decimals. A bare
    /// JSON integer (legacy `count: 2`) decodes as whole contracts.
    Count, scale = 2, min_decimals = 2, unit = "1/100 contract", int = "From whole contracts."
);

impl Dollars {
    /// A price from legacy integer cents (`yes_price: 56` → `0.5600`).
    pub const fn from_cents(cents: i64) -> Self {
        Self(cents * 10_000)
    }
    /// A price from 1/10,000 dollar units (`5600` → `0.5600`), Kalshi's finest price tick.
    pub const fn from_ten_thousandths(units: i64) -> Self {
        Self(units * 100)
    }
    /// The price in 1/10,000 dollar units, if it is on that grid.
    pub fn ten_thousandths(self) -> Option<i64> {
        (self.0 % 100 == 0).then_some(self.0 / 100)
    }
    /// `$1 − self`: the complementary price (yes ask = 1 − best no bid).
    pub const fn complement(self) -> Self {
        Self(Self::ONE.0 - self.0)
    }
    /// `self × count`, exact (micro-dollars × hundredths / 100, rounded toward zero);
    /// saturates where [`Dollars::checked_times`] would overflow.
    pub fn times(self, count: Count) -> Dollars {
        self.checked_times(count)
            .unwrap_or(if (self.0 < 0) == (count.raw() < 0) {
                Dollars(i64::MAX)
            } else {
                Dollars(i64::MIN)
            })
    }
    /// `self × count`, or `None` when the product does not fit.
    pub fn checked_times(self, count: Count) -> Option<Dollars> {
        let product = i128::from(self.0) * i128::from(count.raw()) / 100;
        i64::try_from(product).ok().map(Dollars)
    }
    /// True when `0 < self < 1`, the range of a binary contract's price.
    pub const fn is_valid_price(self) -> bool {
        self.0 > 0 && self.0 < Self::ONE.0
    }
}

impl Count {
    /// The smaller of two counts.
    pub fn min(self, other: Count) -> Count {
        if self <= other {
            self
        } else {
            other
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kalshi_form() {
        let table: &[(&str, i64)] = &[
            ("0.56", 560_000),
            ("0.5600", 560_000),
            ("0.0560", 56_000),
            ("0.000125", 125),
            ("1", 1_000_000),
            ("1.0000", 1_000_000),
            ("-2.5", -2_500_000),
            ("447.4000", 447_400_000),
            ("0.560000", 560_000),
            (".5", 500_000),
        ];
        for (text, raw) in table {
            assert_eq!(text.parse::<Dollars>().unwrap().raw(), *raw, "{text}");
        }
        for bad in ["", "-", "abc", "1.2.3", "0.0000001", "1e3", "0x10", " . "] {
            assert!(bad.parse::<Dollars>().is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn formats_canonically_and_round_trips() {
        let table: &[(&str, &str)] = &[
            ("0.56", "0.5600"),
            ("0.000125", "0.000125"),
            ("1", "1.0000"),
            ("-0.01", "-0.0100"),
            ("0", "0.0000"),
        ];
        for (input, canonical) in table {
            let d: Dollars = input.parse().unwrap();
            assert_eq!(d.to_string(), *canonical);
            assert_eq!(canonical.parse::<Dollars>().unwrap(), d);
        }
        assert_eq!("10".parse::<Count>().unwrap().to_string(), "10.00");
        assert_eq!("2.5".parse::<Count>().unwrap().to_string(), "2.50");
        assert!("0.001".parse::<Count>().is_err());
    }

    #[test]
    fn json_forms() {
        let d: Dollars = serde_json::from_str("\"0.0560\"").unwrap();
        assert_eq!(d, Dollars::from_ten_thousandths(560));
        let c: Count = serde_json::from_str("2").unwrap();
        assert_eq!(c, Count::from_int(2));
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"2.00\"");
        assert!(
            serde_json::from_str::<Count>("1.5").is_err(),
            "floats are never money"
        );
    }

    #[test]
    fn arithmetic_is_exact() {
        let p: Dollars = "0.4300".parse().unwrap();
        assert_eq!(p.complement().to_string(), "0.5700");
        assert_eq!(p.times("10.00".parse().unwrap()).to_string(), "4.3000");
        assert_eq!(Dollars::from_cents(56).to_string(), "0.5600");
    }
}
