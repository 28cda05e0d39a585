//! A Kalshi-sized market universe for the built-in exchange (`--markets N`,
//! [`crate::SimConfig::markets`]).
//!
//! Kalshi lists tens of thousands of open markets, nearly all in a few shapes: daily
//! temperature brackets per city, "above X" ladders on indices, coins and stocks, monthly
//! economic ladders, a winner, a spread and a total per game, and multivariate combos of
//! game legs (series `KXMVE…`, the largest group since 2025). [`generate`] builds `n` such
//! markets from a seed (same seed, same universe): 12% weather, 13% financials, 5%
//! economics, 25% games, and combos for the rest. Every one is open, with an opening fair
//! value that fits its event (brackets sum to about $1, ladders fall with the strike), and
//! opens with a thin book ([`MarketSeed::thin`]) so 50,000 markets start in seconds.

use std::collections::HashMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shared::api::schema::{MarketStrikeType, MveSelectedLeg};
use shared::ids::{EventTicker, MarketTicker};
use shared::num::Dollars;

use super::markets::{new_market, EventTitle, Grid, MarketSeed, SeriesSeed};

/// The generated markets, their series and their events' titles.
#[derive(Debug, Default)]
pub struct Universe {
    /// Markets, in the order they were made.
    pub markets: Vec<MarketSeed>,
    /// Series of those markets.
    pub series: Vec<SeriesSeed>,
    /// Each event's title, subtitle and whether it is mutually exclusive.
    pub events: HashMap<EventTicker, EventTitle>,
}

/// Cities of the temperature series: (code, name, typical December high in °F).
const CITIES: &[(&str, &str, i32)] = &[
    ("NY", "New York City", 44),
    ("CHI", "Chicago", 36),
    ("MIA", "Miami", 77),
    ("AUS", "Austin", 63),
    ("DEN", "Denver", 45),
    ("LAX", "Los Angeles", 68),
    ("PHIL", "Philadelphia", 45),
    ("SEA", "Seattle", 47),
    ("SFO", "San Francisco", 58),
    ("BOS", "Boston", 41),
    ("ATL", "Atlanta", 55),
    ("DAL", "Dallas", 58),
    ("HOU", "Houston", 65),
    ("PHX", "Phoenix", 67),
    ("DC", "Washington DC", 47),
    ("MSP", "Minneapolis", 27),
    ("DET", "Detroit", 36),
    ("LV", "Las Vegas", 58),
    ("NOLA", "New Orleans", 64),
    ("OKC", "Oklahoma City", 50),
];

/// Underlyings of the daily "above X" ladders: (code, name, level, strike step).
const UNDERLYINGS: &[(&str, &str, i64, i64)] = &[
    ("INX", "S&P 500", 6_800, 25),
    ("NASDAQ100", "Nasdaq-100", 25_000, 100),
    ("BTC", "Bitcoin", 95_000, 500),
    ("ETH", "Ethereum", 3_200, 25),
    ("SOL", "Solana", 150, 2),
    ("GOLD", "Gold", 4_200, 10),
    ("WTI", "WTI crude oil", 60, 1),
    ("TSLA", "Tesla", 430, 5),
    ("NVDA", "Nvidia", 180, 2),
    ("AAPL", "Apple", 280, 2),
];

/// Monthly economic releases: (code, name, level and strike step in hundredths, unit).
const RELEASES: &[(&str, &str, i64, i64, &str)] = &[
    ("CPI", "CPI month over month", 30, 10, "%"),
    ("CPICORE", "Core CPI month over month", 30, 10, "%"),
    ("U3", "Unemployment rate", 440, 10, "%"),
    ("PAYROLLS", "Nonfarm payrolls", 15_000, 2_500, "k"),
    ("GDP", "GDP growth", 200, 50, "%"),
    ("PCE", "PCE inflation", 20, 10, "%"),
    ("GASMON", "US average gas price", 310, 5, "$"),
    ("MORTGAGE", "30-year mortgage rate", 620, 10, "%"),
    ("JOBLESS", "Initial jobless claims", 22_000, 500, "k"),
];

/// Leagues: (code, name).
const LEAGUES: &[(&str, &str)] = &[
    ("NFL", "Pro football"),
    ("NBA", "Pro basketball"),
    ("NHL", "Pro hockey"),
    ("MLB", "Pro baseball"),
    ("NCAAMB", "College basketball"),
    ("EPL", "English Premier League"),
    ("UCL", "Champions League"),
    ("MLS", "Major League Soccer"),
];

/// Teams (every league uses the same cities): (code, name).
const TEAMS: &[(&str, &str)] = &[
    ("BOS", "Boston"),
    ("NYK", "New York"),
    ("PHI", "Philadelphia"),
    ("CHI", "Chicago"),
    ("DET", "Detroit"),
    ("MIL", "Milwaukee"),
    ("ATL", "Atlanta"),
    ("MIA", "Miami"),
    ("DAL", "Dallas"),
    ("HOU", "Houston"),
    ("DEN", "Denver"),
    ("PHX", "Phoenix"),
    ("LAL", "Los Angeles"),
    ("GSW", "Golden State"),
    ("SEA", "Seattle"),
    ("POR", "Portland"),
    ("MIN", "Minnesota"),
    ("OKC", "Oklahoma City"),
    ("SAS", "San Antonio"),
    ("UTA", "Utah"),
    ("SAC", "Sacramento"),
    ("CLE", "Cleveland"),
    ("IND", "Indiana"),
    ("TOR", "Toronto"),
    ("WAS", "Washington"),
    ("ORL", "Orlando"),
    ("CHA", "Charlotte"),
    ("MEM", "Memphis"),
    ("NOP", "New Orleans"),
    ("BKN", "Brooklyn"),
];

/// Games per league per day.
const GAMES_PER_DAY: usize = 6;

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

/// A day of the universe: `offset` days after 2026-12-08.
#[derive(Clone, Copy)]
struct Day(time::Date);

impl Day {
    fn nth(offset: usize) -> Day {
        let first = time::Date::from_calendar_date(2026, time::Month::December, 8)
            .unwrap_or(time::Date::MIN);
        let days = i64::try_from(offset).unwrap_or(0);
        Day(first
            .checked_add(time::Duration::days(days))
            .unwrap_or(first))
    }
    /// Kalshi's ticker form: `26DEC08`.
    fn code(self) -> String {
        format!("{}{:02}", self.month_code(), self.0.day())
    }
    /// `26DEC`.
    fn month_code(self) -> String {
        let month = MONTHS
            .get(usize::from(u8::from(self.0.month())) - 1)
            .copied()
            .unwrap_or_default();
        format!("{:02}{month}", self.0.year() % 100)
    }
    /// `Dec 8, 2026`.
    fn human(self) -> String {
        let month = self.0.month().to_string();
        format!(
            "{} {}, {}",
            month.get(..3).unwrap_or_default(),
            self.0.day(),
            self.0.year()
        )
    }
    /// `2026-12-08T{hh_mm}:00Z`.
    fn at(self, hh_mm: &str) -> String {
        format!(
            "{}-{:02}-{:02}T{hh_mm}:00Z",
            self.0.year(),
            u8::from(self.0.month()),
            self.0.day()
        )
    }
}

/// One game's legs a combo may select: (event ticker, market ticker, label).
type Leg = (EventTicker, MarketTicker, String);

/// A generated game: its league's index, day and legs.
struct Game {
    league: usize,
    day: Day,
    matchup: String,
    legs: Vec<Leg>,
}

/// One game as its lines are listed: league (code, name), the matchup's ticker part
/// (`26DEC08BOSCHI`), its title, day and close time.
struct Matchup<'a> {
    league: (&'a str, &'a str),
    code: &'a str,
    title: &'a str,
    day: Day,
    close: &'a str,
}

/// The generator's state.
struct Builder {
    rng: StdRng,
    out: Universe,
    games: Vec<Game>,
}

/// Fair YES cents, kept inside the flow's $0.02–$0.98.
fn cents(value: i64) -> Dollars {
    Dollars::from_cents(value.clamp(2, 98))
}

/// `value` hundredths as text: `4.40`, or whole when `step` is whole hundreds.
fn hundredths(value: i64, step: i64) -> String {
    if step % 100 == 0 {
        format!("{}", value / 100)
    } else {
        format!("{}.{:02}", value.div_euclid(100), value.rem_euclid(100))
    }
}

impl Builder {
    fn series(&mut self, ticker: &str, title: &str, category: &str, tags: &[&str], freq: &str) {
        if self.out.series.iter().any(|s| s.ticker == ticker) {
            return;
        }
        self.out.series.push(SeriesSeed {
            ticker: ticker.to_owned(),
            title: title.to_owned(),
            category: category.to_owned(),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            frequency: freq.to_owned(),
        });
    }

    fn event(&mut self, ticker: &EventTicker, title: String, sub: String, exclusive: bool) {
        self.out
            .events
            .insert(ticker.clone(), (title, sub, exclusive));
    }

    fn market(&mut self, market: shared::api::schema::Market, grid: Grid, fair: Dollars) {
        self.out.markets.push(MarketSeed {
            series: market.event_ticker.series().to_owned(),
            tick: grid.flow_tick(),
            fair: Some(fair),
            thin: true,
            market,
        });
    }

    /// Opening fairs of `n` mutually exclusive brackets: a hump around a random bracket,
    /// summing to about $1.
    fn hump(&mut self, n: usize) -> Vec<i64> {
        let centre = self.rng.gen_range(1..n.saturating_sub(1).max(2));
        let weights: Vec<i64> = (0..n)
            .map(|i| (30 - 9 * i.abs_diff(centre) as i64).max(3))
            .collect();
        let total: i64 = weights.iter().sum::<i64>().max(1);
        weights.iter().map(|w| w * 100 / total).collect()
    }

    /// The `k`th daily high-temperature event: six 2° brackets and tails.
    fn weather(&mut self, k: usize) {
        let Some(&(code, city, normal)) = CITIES.get(k % CITIES.len()) else {
            return;
        };
        let day = Day::nth(k / CITIES.len());
        let series = format!("KXHIGH{code}");
        self.series(
            &series,
            &format!("Highest temperature in {city}"),
            "Climate and Weather",
            &["Temperature", city],
            "daily",
        );
        let event = EventTicker(format!("{series}-{}", day.code()));
        self.event(
            &event,
            format!("Highest temperature in {city} on {}?", day.human()),
            day.human(),
            true,
        );
        let base = normal + self.rng.gen_range(-6..=6);
        let fairs = self.hump(6);
        let close = day.at("23:59");
        for (i, fair) in fairs.into_iter().enumerate() {
            let lo = base - 6 + 2 * i as i32;
            let (suffix, sub, strike) = match i {
                0 => (
                    format!("T{}", lo + 1),
                    format!("{}° or below", lo + 1),
                    MarketStrikeType::Less,
                ),
                5 => (
                    format!("T{}", lo),
                    format!("{lo}° or above"),
                    MarketStrikeType::Greater,
                ),
                _ => (
                    format!("B{lo}.5"),
                    format!("{lo}° to {}°", lo + 1),
                    MarketStrikeType::Between,
                ),
            };
            let title = format!("Will the high temp in {city} be {sub} on {}?", day.human());
            let mut m = new_market(
                MarketTicker(format!("{event}-{suffix}")),
                event.clone(),
                &title,
                &sub,
                &close,
                Grid::Cent,
            );
            m.strike_type = Some(strike);
            m.floor_strike = (strike != MarketStrikeType::Less).then_some(f64::from(lo));
            m.cap_strike = (strike != MarketStrikeType::Greater).then_some(f64::from(lo + 1));
            self.market(m, Grid::Cent, cents(fair));
        }
    }

    /// The `k`th daily "above X" ladder on an index, coin or stock: ten strikes.
    fn ladder(&mut self, k: usize) {
        let Some(&(code, name, level, step)) = UNDERLYINGS.get(k % UNDERLYINGS.len()) else {
            return;
        };
        let day = Day::nth(k / UNDERLYINGS.len());
        let series = format!("KX{code}D");
        self.series(
            &series,
            &format!("{name} price at the daily close"),
            "Financials",
            &[name, "Daily"],
            "daily",
        );
        let event = EventTicker(format!("{series}-{}H1600", day.code()));
        self.event(
            &event,
            format!("{name} price on {} at 4pm EST?", day.human()),
            day.human(),
            false,
        );
        let centre = level + self.rng.gen_range(-4..=4) * step;
        let close = day.at("21:00");
        for i in 0..10_i64 {
            let strike = centre + (i - 5) * step;
            let sub = format!("{strike} or above");
            let title = format!(
                "Will {name} be above {strike} on {} at 4pm EST?",
                day.human()
            );
            let mut m = new_market(
                MarketTicker(format!("{event}-T{strike}")),
                event.clone(),
                &title,
                &sub,
                &close,
                Grid::Cent,
            );
            m.floor_strike = i32::try_from(strike).ok().map(f64::from);
            let fair = 95 - 10 * i + self.rng.gen_range(-3..=3);
            self.market(m, Grid::Cent, cents(fair));
        }
    }

    /// The `k`th monthly economic release: seven "above X" strikes, tapered ticks.
    fn release(&mut self, k: usize) {
        let Some(&(code, name, level, step, unit)) = RELEASES.get(k % RELEASES.len()) else {
            return;
        };
        let month = Day::nth(31 * (k / RELEASES.len()));
        let series = format!("KX{code}");
        self.series(&series, name, "Economics", &[name, "Monthly"], "monthly");
        let event = EventTicker(format!("{series}-{}", month.month_code()));
        let period = month.human();
        let period = period.split(' ').next().unwrap_or_default().to_owned();
        self.event(
            &event,
            format!("{name} in {period} {}", month.0.year()),
            format!("{period} {}", month.0.year()),
            false,
        );
        let close = month.at("12:30");
        for i in 0..7_i64 {
            let strike = level + (i - 3) * step;
            let shown = hundredths(strike, step);
            let sub = format!("Above {shown}{unit}");
            let title = format!("{name} above {shown}{unit} in {period}?");
            let m = new_market(
                MarketTicker(format!("{event}-T{shown}")),
                event.clone(),
                &title,
                &sub,
                &close,
                Grid::Tapered,
            );
            let fair = 90 - 13 * i + self.rng.gen_range(-4..=4);
            self.market(m, Grid::Tapered, cents(fair));
        }
    }

    /// The `k`th game: a winner (two markets), a spread and a total (four each).
    fn game(&mut self, k: usize) {
        let league = k % LEAGUES.len();
        let Some(&(lcode, lname)) = LEAGUES.get(league) else {
            return;
        };
        let slot = k / LEAGUES.len();
        let (day, g) = (slot / GAMES_PER_DAY, slot % GAMES_PER_DAY);
        let shift = day * 7 + league * 3;
        let home = TEAMS.get((2 * g + shift) % TEAMS.len());
        let away = TEAMS.get((2 * g + 1 + shift) % TEAMS.len());
        let (Some(&(hcode, hname)), Some(&(acode, aname))) = (home, away) else {
            return;
        };
        let day = Day::nth(day);
        let matchup = format!("{}{acode}{hcode}", day.code());
        let close = day.at("23:00");
        let game = format!("{aname} at {hname}");
        let mut legs = Vec::new();

        let winner = format!("KX{lcode}GAME");
        self.series(
            &winner,
            &format!("{lname} game winner"),
            "Sports",
            &[lname, "Games"],
            "custom",
        );
        let event = EventTicker(format!("{winner}-{matchup}"));
        self.event(&event, format!("{game} winner?"), day.human(), true);
        let p = self.rng.gen_range(20..=80);
        for (code, name, fair) in [(acode, aname, 100 - p), (hcode, hname, p)] {
            let ticker = MarketTicker(format!("{event}-{code}"));
            let mut m = new_market(
                ticker.clone(),
                event.clone(),
                &format!("{game}: will {name} win?"),
                name,
                &close,
                Grid::Cent,
            );
            m.strike_type = Some(MarketStrikeType::Structured);
            self.market(m, Grid::Cent, cents(fair));
            legs.push((event.clone(), ticker, format!("yes {name}")));
        }

        let at = Matchup {
            league: (lcode, lname),
            code: &matchup,
            title: &game,
            day,
            close: &close,
        };
        let spreads = (0..4_i64)
            .map(|i| {
                let by = 2 * i + 1;
                let sub = format!("{hname} wins by over {by}.5 points");
                (format!("{hcode}{by}"), sub, by, cents(p - 12 * i))
            })
            .collect();
        self.lines(
            &at,
            ("SPREAD", "point spread", "Spreads"),
            spreads,
            &mut legs,
        );
        let line = self.rng.gen_range(40..=230_i64);
        let totals = (0..4_i64)
            .map(|i| {
                let over = line + 3 * i;
                let sub = format!("Over {over}.5 points scored");
                (over.to_string(), sub, over, cents(65 - 12 * i))
            })
            .collect();
        self.lines(&at, ("TOTAL", "total points", "Totals"), totals, &mut legs);
        self.games.push(Game {
            league,
            day,
            matchup,
            legs,
        });
    }

    /// A game's "over" lines of one `kind` (series suffix, title, tag): a series
    /// `KX{league}{suffix}`, the game's event in it and a market per line
    /// `(ticker suffix, subtitle, strike, fair)`, each a leg combos may select.
    fn lines(
        &mut self,
        at: &Matchup<'_>,
        (suffix, what, tag): (&str, &str, &str),
        lines: Vec<(String, String, i64, Dollars)>,
        legs: &mut Vec<Leg>,
    ) {
        let (lcode, lname) = at.league;
        let series = format!("KX{lcode}{suffix}");
        self.series(
            &series,
            &format!("{lname} {what}"),
            "Sports",
            &[lname, tag],
            "custom",
        );
        let event = EventTicker(format!("{series}-{}", at.code));
        self.event(
            &event,
            format!("{}: {what}", at.title),
            at.day.human(),
            false,
        );
        for (code, sub, strike, fair) in lines {
            let ticker = MarketTicker(format!("{event}-{code}"));
            let mut m = new_market(
                ticker.clone(),
                event.clone(),
                &format!("{}: {sub}?", at.title),
                &sub,
                at.close,
                Grid::Cent,
            );
            m.floor_strike = i32::try_from(strike).ok().map(f64::from);
            self.market(m, Grid::Cent, fair);
            legs.push((event.clone(), ticker, format!("yes {sub}")));
        }
    }

    /// The `k`th combo event: `markets` single-game parlays of 2–4 legs of one game
    /// (`deci_cent` ticks, as Kalshi prices combos).
    fn combo(&mut self, k: usize, markets: usize) {
        if self.games.is_empty() {
            return;
        }
        let Some(game) = self.games.get(k % self.games.len()) else {
            return;
        };
        let Some(&(lcode, lname)) = LEAGUES.get(game.league) else {
            return;
        };
        let (legs, matchup, day) = (game.legs.clone(), game.matchup.clone(), game.day);
        let series = format!("KXMVE{lcode}SINGLEGAME");
        self.series(
            &series,
            &format!("{lname} single-game combos"),
            "Sports",
            &[lname, "Combos"],
            "custom",
        );
        let event = EventTicker(format!(
            "{series}-S{}{:012X}",
            day.0.year(),
            self.rng.gen::<u64>() & 0xFFFF_FFFF_FFFF
        ));
        let collection = format!("{series}-{matchup}");
        let close = day.at("23:00");
        let mut first_title = String::new();
        for _ in 0..markets {
            let n = self.rng.gen_range(2..=4).min(legs.len());
            let mut chosen: Vec<&Leg> = Vec::with_capacity(n);
            while chosen.len() < n {
                if let Some(leg) = legs.get(self.rng.gen_range(0..legs.len())) {
                    if !chosen.iter().any(|c| c.1 == leg.1) {
                        chosen.push(leg);
                    }
                }
            }
            let title = chosen
                .iter()
                .map(|l| l.2.as_str())
                .collect::<Vec<_>>()
                .join(",");
            let ticker = MarketTicker(format!(
                "{event}-{:011X}",
                self.rng.gen::<u64>() & 0x0FFF_FFFF_FFFF
            ));
            let mut m = new_market(
                ticker,
                event.clone(),
                &title,
                &title,
                &close,
                Grid::DeciCent,
            );
            m.strike_type = Some(MarketStrikeType::Custom);
            m.mve_collection_ticker = Some(collection.clone());
            m.mve_selected_legs = Some(
                chosen
                    .iter()
                    .map(|(event, market, _)| MveSelectedLeg {
                        event_ticker: Some(event.clone()),
                        market_ticker: Some(market.clone()),
                        side: Some("yes".to_owned()),
                        yes_settlement_value_dollars: None,
                    })
                    .collect(),
            );
            if first_title.is_empty() {
                first_title.clone_from(&title);
            }
            let fair = cents(self.rng.gen_range(3..=40));
            self.market(m, Grid::DeciCent, fair);
        }
        self.event(&event, first_title, day.human(), false);
    }
}

/// Makes the `k`th event of one shape.
type Maker = fn(&mut Builder, usize);

/// `n` generated markets (none for 0) from `seed`; see the module docs for the mix.
pub fn generate(n: usize, seed: u64) -> Universe {
    let mut b = Builder {
        rng: StdRng::seed_from_u64(seed ^ 0x756e_6976_6572_7365),
        out: Universe::default(),
        games: Vec::new(),
    };
    if n == 0 {
        return b.out;
    }
    let quota = |percent: usize| n * percent / 100;
    let steps: [(usize, Maker); 4] = [
        (quota(12), Builder::weather),
        (quota(13), Builder::ladder),
        (quota(5), Builder::release),
        (quota(25), Builder::game),
    ];
    for (share, make) in steps {
        let goal = b.out.markets.len() + share;
        let mut k = 0;
        while b.out.markets.len() < goal.min(n) {
            make(&mut b, k);
            k += 1;
        }
    }
    let mut k = 0;
    while b.out.markets.len() < n && !b.games.is_empty() {
        let left = n - b.out.markets.len();
        let markets = b.rng.gen_range(1..=3).min(left);
        b.combo(k, markets);
        k += 1;
    }
    // Small universes: top up with ladders when there are no games to combine.
    let mut k = 1_000_000;
    while b.out.markets.len() < n {
        b.ladder(k);
        k += 1;
    }
    b.out.markets.truncate(n);
    b.out
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn a_universe_has_the_size_asked_and_kalshi_shaped_unique_tickers() {
        for n in [1, 7, 100, 5_000] {
            let u = generate(n, 7);
            assert_eq!(u.markets.len(), n);
            let tickers: HashSet<&MarketTicker> =
                u.markets.iter().map(|m| &m.market.ticker).collect();
            assert_eq!(tickers.len(), n, "tickers are unique");
            for m in &u.markets {
                assert!(m.market.ticker.is_well_formed(), "{}", m.market.ticker);
                assert!(MarketTicker::from(m.market.event_ticker.as_str()).is_well_formed());
                assert!(m
                    .market
                    .ticker
                    .as_str()
                    .starts_with(m.market.event_ticker.as_str()));
                assert!(
                    u.series.iter().any(|s| s.ticker == m.series),
                    "{}",
                    m.series
                );
                assert!(u.events.contains_key(&m.market.event_ticker));
                assert!(m.market.grid().is_valid_price(m.fair.unwrap_or_default()));
                assert!(m.thin && m.market.status.is_tradable());
            }
        }
    }

    #[test]
    fn the_mix_has_brackets_ladders_games_and_combos_of_real_legs() {
        let u = generate(5_000, 3);
        let count = |prefix: &str| {
            u.markets
                .iter()
                .filter(|m| m.series.starts_with(prefix))
                .count()
        };
        assert!(count("KXHIGH") >= 590, "weather {}", count("KXHIGH"));
        assert!(count("KXMVE") >= 2_000, "combos {}", count("KXMVE"));
        let tickers: HashSet<&MarketTicker> = u.markets.iter().map(|m| &m.market.ticker).collect();
        for m in u.markets.iter().filter(|m| m.series.starts_with("KXMVE")) {
            let legs = m.market.mve_selected_legs.as_deref().unwrap_or_default();
            assert!((2..=4).contains(&legs.len()));
            for leg in legs {
                let leg = leg.market_ticker.as_ref().unwrap();
                assert!(tickers.contains(leg), "combo leg {leg} is a listed market");
            }
        }
        // A bracket event's fairs sum to about $1.
        let first = &u.markets[0].market.event_ticker;
        let sum: i64 = u
            .markets
            .iter()
            .filter(|m| &m.market.event_ticker == first)
            .map(|m| m.fair.unwrap().raw())
            .sum();
        assert!(
            (Dollars::from_cents(85).raw()..=Dollars::ONE.raw()).contains(&sum),
            "{sum}"
        );
        assert_eq!(generate(300, 3).markets.len(), 300);
        let again = generate(5_000, 3);
        assert_eq!(
            again.markets.last().map(|m| &m.market.ticker),
            u.markets.last().map(|m| &m.market.ticker),
            "same seed, same universe"
        );
    }
}
