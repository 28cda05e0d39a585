//! A user's workspace: named layouts of the desk screen, kept by the desk per user
//! (`GET`/`PUT /api/workspace`) so a layout follows its user to any machine and survives a
//! logout.
//!
//! A [`Layout`] sizes the screen's columns and rows (CSS pixels), collapses panes and may
//! put the ticket on the left; the browser turns it into the grid's CSS variables.
//! [`Workspace::check`] refuses what the browser could not lay out (sizes outside
//! [`Bounds`], duplicate or empty names, too many layouts).

use serde::{Deserialize, Serialize};

use crate::num::Dollars;

/// Most named layouts a user keeps.
pub const MAX_LAYOUTS: usize = 20;
/// Longest layout name, characters.
pub const MAX_NAME: usize = 40;
/// The layout every user starts with.
pub const DEFAULT_LAYOUT: &str = "Default";

/// A pane that can be collapsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pane {
    /// The market finder (left column).
    Markets,
    /// Depth, candles and the tape beside the ladder.
    Side,
    /// Orders, portfolio and fills under the market.
    Bottom,
    /// Order groups and subaccounts (below the first screen).
    Accounts,
}

impl Pane {
    /// Every pane, in screen order.
    pub const ALL: [Pane; 4] = [Pane::Markets, Pane::Side, Pane::Bottom, Pane::Accounts];

    /// `markets`, `side`, `bottom`, `accounts`.
    pub fn as_str(self) -> &'static str {
        match self {
            Pane::Markets => "markets",
            Pane::Side => "side",
            Pane::Bottom => "bottom",
            Pane::Accounts => "accounts",
        }
    }
}

/// A pane of the row under the market, which the trader may put in any order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowPane {
    /// Open orders.
    Orders,
    /// The portfolio (balance, positions).
    Portfolio,
    /// Fills, settlements and the P&L history.
    History,
}

impl RowPane {
    /// Every row pane, in the default order (left to right).
    pub const ALL: [RowPane; 3] = [RowPane::Orders, RowPane::Portfolio, RowPane::History];

    /// `orders`, `portfolio`, `history`.
    pub fn as_str(self) -> &'static str {
        match self {
            RowPane::Orders => "orders",
            RowPane::Portfolio => "portfolio",
            RowPane::History => "history",
        }
    }

    /// Its name on the screen.
    pub fn label(self) -> &'static str {
        match self {
            RowPane::Orders => "Open orders",
            RowPane::Portfolio => "Portfolio",
            RowPane::History => "Fills, settlements, P&L",
        }
    }
}

fn default_row() -> Vec<RowPane> {
    RowPane::ALL.to_vec()
}

/// One layout of the desk screen. Sizes are CSS pixels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    /// Its name, unique among the user's layouts.
    pub name: String,
    /// Width of the market finder column.
    pub markets_px: u16,
    /// Width of the ticket column.
    pub ticket_px: u16,
    /// Width of the depth/candles/tape column beside the ladder.
    pub side_px: u16,
    /// Height of the orders/portfolio/fills row.
    pub bottom_px: u16,
    /// Collapsed panes.
    #[serde(default)]
    pub collapsed: Vec<Pane>,
    /// The ticket on the left, the finder on the right.
    #[serde(default)]
    pub ticket_left: bool,
    /// The row under the market, left to right: each of [`RowPane::ALL`] once (a layout
    /// stored before this field reads with the default order).
    #[serde(default = "default_row")]
    pub row: Vec<RowPane>,
}

/// A splitter between panes that the trader drags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edge {
    /// Between the left column (the finder, or the ticket when it is on the left) and the
    /// market.
    Left,
    /// Between the market and the right column.
    Right,
    /// Between the ladder and the depth/candles/tape column.
    Side,
    /// Above the orders/portfolio/fills row.
    Bottom,
}

impl Edge {
    /// `left`, `right`, `side`, `bottom`.
    pub fn as_str(self) -> &'static str {
        match self {
            Edge::Left => "left",
            Edge::Right => "right",
            Edge::Side => "side",
            Edge::Bottom => "bottom",
        }
    }

    /// True for a splitter dragged sideways.
    pub fn is_vertical(self) -> bool {
        self != Edge::Bottom
    }
}

/// Sizes a layout may take, CSS pixels (inclusive).
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    /// Fewest pixels.
    pub min: u16,
    /// Most pixels.
    pub max: u16,
}

impl Layout {
    /// Bounds of [`Layout::markets_px`].
    pub const MARKETS: Bounds = Bounds { min: 180, max: 520 };
    /// Bounds of [`Layout::ticket_px`].
    pub const TICKET: Bounds = Bounds { min: 230, max: 520 };
    /// Bounds of [`Layout::side_px`].
    pub const SIDE: Bounds = Bounds { min: 160, max: 520 };
    /// Bounds of [`Layout::bottom_px`].
    pub const BOTTOM: Bounds = Bounds { min: 110, max: 520 };

    /// The default layout named `name`: sized for a 1280 × 720 laptop.
    pub fn standard(name: &str) -> Layout {
        Layout {
            name: name.to_owned(),
            markets_px: 260,
            ticket_px: 280,
            side_px: 260,
            bottom_px: 190,
            collapsed: Vec::new(),
            ticket_left: false,
            row: default_row(),
        }
    }

    /// Where `pane` is in the row under the market (0: leftmost).
    pub fn place(&self, pane: RowPane) -> usize {
        self.row.iter().position(|p| *p == pane).unwrap_or(0)
    }

    /// Moves `pane` one place left, or right, in the row (at an end: nothing).
    pub fn shift(&mut self, pane: RowPane, right: bool) {
        let Some(i) = self.row.iter().position(|p| *p == pane) else {
            return;
        };
        let j = if right { i + 1 } else { i.wrapping_sub(1) };
        if j < self.row.len() {
            self.row.swap(i, j);
        }
    }

    /// Moves `edge` by `delta_px` (right or down positive), within each size's [`Bounds`].
    pub fn drag(&mut self, edge: Edge, delta_px: i32) {
        fn moved(px: u16, delta: i32, b: Bounds) -> u16 {
            let to = i32::from(px).saturating_add(delta);
            u16::try_from(to.clamp(i32::from(b.min), i32::from(b.max))).unwrap_or(b.min)
        }
        let (left, right) = if self.ticket_left {
            (&mut self.ticket_px, &mut self.markets_px)
        } else {
            (&mut self.markets_px, &mut self.ticket_px)
        };
        let (left_b, right_b) = if self.ticket_left {
            (Self::TICKET, Self::MARKETS)
        } else {
            (Self::MARKETS, Self::TICKET)
        };
        match edge {
            Edge::Left => *left = moved(*left, delta_px, left_b),
            Edge::Right => *right = moved(*right, delta_px.saturating_neg(), right_b),
            Edge::Side => self.side_px = moved(self.side_px, delta_px.saturating_neg(), Self::SIDE),
            Edge::Bottom => {
                self.bottom_px = moved(self.bottom_px, delta_px.saturating_neg(), Self::BOTTOM);
            }
        }
    }

    /// True when `pane` is collapsed.
    pub fn is_collapsed(&self, pane: Pane) -> bool {
        self.collapsed.contains(&pane)
    }

    /// Collapses `pane`, or opens it again.
    pub fn toggle(&mut self, pane: Pane) {
        if let Some(i) = self.collapsed.iter().position(|p| *p == pane) {
            self.collapsed.remove(i);
        } else {
            self.collapsed.push(pane);
            self.collapsed.sort();
        }
    }

    /// Refuses a size outside its [`Bounds`] or an empty or overlong name.
    ///
    /// # Errors
    /// A sentence naming the field.
    pub fn check(&self) -> Result<(), String> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME || name != self.name {
            return Err(format!(
                "a layout's name is 1 to {MAX_NAME} characters without surrounding spaces: {:?}",
                self.name
            ));
        }
        if self.row.len() != RowPane::ALL.len()
            || RowPane::ALL.iter().any(|p| !self.row.contains(p))
        {
            return Err(format!(
                "the row of layout {:?} must hold orders, portfolio and history once each",
                self.name
            ));
        }
        for (what, value, b) in [
            ("markets_px", self.markets_px, Self::MARKETS),
            ("ticket_px", self.ticket_px, Self::TICKET),
            ("side_px", self.side_px, Self::SIDE),
            ("bottom_px", self.bottom_px, Self::BOTTOM),
        ] {
            if !(b.min..=b.max).contains(&value) {
                return Err(format!(
                    "{what} of layout {:?} is {value}; it must be {}–{} px",
                    self.name, b.min, b.max
                ));
            }
        }
        Ok(())
    }
}

/// How prices are shown (money amounts — balances, costs, P&L — stay in dollars).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceFormat {
    /// Cents, as Kalshi traders read prices: `56¢`, with subpenny digits only where the
    /// price has them (`5.6¢`, `0.25¢`: markets with a subpenny tick).
    #[default]
    Cents,
    /// Kalshi's dollar strings as they are (`0.5600`).
    Dollars,
    /// Percent chance (`56%`, `5.6%`).
    Percent,
}

impl PriceFormat {
    /// Every format, in the order a selector lists them.
    pub const ALL: [PriceFormat; 3] = [
        PriceFormat::Cents,
        PriceFormat::Dollars,
        PriceFormat::Percent,
    ];

    /// `cents`, `dollars`, `percent`.
    pub fn as_str(self) -> &'static str {
        match self {
            PriceFormat::Cents => "cents",
            PriceFormat::Dollars => "dollars",
            PriceFormat::Percent => "percent",
        }
    }

    /// The format named `name` ([`PriceFormat::as_str`]).
    pub fn named(name: &str) -> Option<PriceFormat> {
        PriceFormat::ALL.into_iter().find(|f| f.as_str() == name)
    }

    /// `price` in this format, exactly: `0.5600` → `56¢` / `0.5600` / `56%`; `0.0560` →
    /// `5.6¢`; a negative price (a change) keeps its sign.
    pub fn show(self, price: Dollars) -> String {
        if self == PriceFormat::Dollars {
            return price.to_string();
        }
        // Dollars hold micro-dollars: cents are ten-thousandths of a cent.
        let raw = price.raw();
        let sign = if raw < 0 { "-" } else { "" };
        let hundredths_of_micro = raw.unsigned_abs();
        let (whole, mut frac, mut digits) = (
            hundredths_of_micro / 10_000,
            hundredths_of_micro % 10_000,
            4,
        );
        while digits > 0 && frac % 10 == 0 {
            frac /= 10;
            digits -= 1;
        }
        let unit = if self == PriceFormat::Cents {
            "¢"
        } else {
            "%"
        };
        if digits == 0 {
            format!("{sign}{whole}{unit}")
        } else {
            format!("{sign}{whole}.{frac:0digits$}{unit}")
        }
    }
}

/// What a keyboard shortcut does on a market's page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyCommand {
    /// Send the ticket as a buy.
    Buy,
    /// Send the ticket as a sell.
    Sell,
    /// Ticket side YES.
    SideYes,
    /// Ticket side NO.
    SideNo,
    /// Ticket price up one tick.
    TickUp,
    /// Ticket price down one tick.
    TickDown,
    /// Cancel all my orders in the open market.
    CancelAll,
    /// Show or hide the list of shortcuts.
    Help,
}

impl KeyCommand {
    /// Every command, in the order the list shows them.
    pub const ALL: [KeyCommand; 8] = [
        KeyCommand::Buy,
        KeyCommand::Sell,
        KeyCommand::SideYes,
        KeyCommand::SideNo,
        KeyCommand::TickUp,
        KeyCommand::TickDown,
        KeyCommand::CancelAll,
        KeyCommand::Help,
    ];

    /// What it does, in words.
    pub fn describe(self) -> &'static str {
        match self {
            KeyCommand::Buy => "Buy: send the ticket as a buy",
            KeyCommand::Sell => "Sell: send the ticket as a sell",
            KeyCommand::SideYes => "Ticket side YES",
            KeyCommand::SideNo => "Ticket side NO",
            KeyCommand::TickUp => "Ticket price up one tick",
            KeyCommand::TickDown => "Ticket price down one tick",
            KeyCommand::CancelAll => "Cancel all my orders in this market",
            KeyCommand::Help => "Show or hide this list",
        }
    }

    /// `buy`, `sell`, `side_yes`, …
    pub fn as_str(self) -> &'static str {
        match self {
            KeyCommand::Buy => "buy",
            KeyCommand::Sell => "sell",
            KeyCommand::SideYes => "side_yes",
            KeyCommand::SideNo => "side_no",
            KeyCommand::TickUp => "tick_up",
            KeyCommand::TickDown => "tick_down",
            KeyCommand::CancelAll => "cancel_all",
            KeyCommand::Help => "help",
        }
    }
}

/// One key bound to a command. `key` is a `KeyboardEvent.key` as [`normalize_key`] writes
/// it: one letter upper-cased (`"B"`), another character as is (`"+"`), or a named key
/// (`"ArrowUp"`, `"F2"`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shortcut {
    /// The key.
    pub key: String,
    /// What it does.
    pub command: KeyCommand,
}

/// Keys no shortcut may take: `Escape` closes the list, `Tab` and `Enter` move and submit
/// in forms.
pub const RESERVED_KEYS: &[&str] = &["Escape", "Tab", "Enter", " "];

/// A `KeyboardEvent.key` as shortcuts store it: letters upper-cased (so `b` and `B` are one
/// key), the rest as the browser names it.
pub fn normalize_key(key: &str) -> String {
    let mut chars = key.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_alphabetic() => c.to_uppercase().collect(),
        _ => key.to_owned(),
    }
}

/// The desk's shortcuts before a user changes any.
pub fn default_shortcuts() -> Vec<Shortcut> {
    [
        ("B", KeyCommand::Buy),
        ("S", KeyCommand::Sell),
        ("Y", KeyCommand::SideYes),
        ("N", KeyCommand::SideNo),
        ("ArrowUp", KeyCommand::TickUp),
        ("+", KeyCommand::TickUp),
        ("=", KeyCommand::TickUp),
        ("ArrowDown", KeyCommand::TickDown),
        ("-", KeyCommand::TickDown),
        ("_", KeyCommand::TickDown),
        ("X", KeyCommand::CancelAll),
        ("?", KeyCommand::Help),
    ]
    .into_iter()
    .map(|(key, command)| Shortcut {
        key: key.to_owned(),
        command,
    })
    .collect()
}

/// A user's workspace: their layouts and which one is in use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workspace {
    /// The name of the layout in use (one of `layouts`).
    pub active: String,
    /// Named layouts, at least one.
    pub layouts: Vec<Layout>,
    /// How prices are shown.
    #[serde(default)]
    pub prices: PriceFormat,
    /// Keyboard shortcuts (the defaults until the user changes one).
    #[serde(default = "default_shortcuts")]
    pub shortcuts: Vec<Shortcut>,
}

impl Default for Workspace {
    fn default() -> Self {
        Workspace {
            active: DEFAULT_LAYOUT.to_owned(),
            layouts: vec![Layout::standard(DEFAULT_LAYOUT)],
            prices: PriceFormat::default(),
            shortcuts: default_shortcuts(),
        }
    }
}

impl Workspace {
    /// The layout in use (the first when `active` names none).
    pub fn layout(&self) -> Layout {
        self.layouts
            .iter()
            .find(|l| l.name == self.active)
            .or(self.layouts.first())
            .cloned()
            .unwrap_or_else(|| Layout::standard(DEFAULT_LAYOUT))
    }

    /// Replaces the layout in use with `layout` (same name).
    pub fn set_layout(&mut self, layout: Layout) {
        match self.layouts.iter_mut().find(|l| l.name == layout.name) {
            Some(slot) => *slot = layout,
            None => self.layouts.push(layout),
        }
    }

    /// Saves the layout in use under `name` too and switches to it (replacing a layout of
    /// that name).
    pub fn save_as(&mut self, name: &str) {
        let layout = Layout {
            name: name.to_owned(),
            ..self.layout()
        };
        self.set_layout(layout);
        self.active = name.to_owned();
    }

    /// Removes the layout `name` (the last one stays); the first layout is used if it was
    /// the one in use.
    pub fn remove(&mut self, name: &str) {
        if self.layouts.len() > 1 {
            self.layouts.retain(|l| l.name != name);
        }
        if !self.layouts.iter().any(|l| l.name == self.active) {
            self.active = self.layout().name;
        }
    }

    /// The command of a pressed key (`KeyboardEvent.key`), if one is bound to it.
    pub fn command(&self, key: &str) -> Option<KeyCommand> {
        let key = normalize_key(key);
        self.shortcuts
            .iter()
            .find(|s| s.key == key)
            .map(|s| s.command)
    }

    /// The keys bound to `command`, in the order they were bound.
    pub fn keys(&self, command: KeyCommand) -> Vec<&str> {
        self.shortcuts
            .iter()
            .filter(|s| s.command == command)
            .map(|s| s.key.as_str())
            .collect()
    }

    /// Binds `key` to `command` in place of its first key (its other keys stay).
    ///
    /// # Errors
    /// A sentence when the key is reserved or already does something else (a conflict is
    /// refused, never silently taken).
    pub fn bind(&mut self, command: KeyCommand, key: &str) -> Result<(), String> {
        let key = normalize_key(key);
        if key.is_empty() || RESERVED_KEYS.contains(&key.as_str()) {
            return Err(format!("{key:?} cannot be a shortcut"));
        }
        if let Some(taken) = self.command(&key) {
            if taken != command {
                return Err(format!(
                    "{key} already does \"{}\"; change that one first",
                    taken.describe()
                ));
            }
            return Ok(());
        }
        match self.shortcuts.iter_mut().find(|s| s.command == command) {
            Some(first) => first.key = key,
            None => self.shortcuts.push(Shortcut { key, command }),
        }
        Ok(())
    }

    /// Refuses a workspace the desk would not store: no layout or more than
    /// [`MAX_LAYOUTS`], a bad layout, two layouts of one name, `active` naming none.
    ///
    /// # Errors
    /// A sentence saying what is wrong.
    pub fn check(&self) -> Result<(), String> {
        if self.layouts.is_empty() || self.layouts.len() > MAX_LAYOUTS {
            return Err(format!("a workspace holds 1 to {MAX_LAYOUTS} layouts"));
        }
        let mut names = std::collections::BTreeSet::new();
        for layout in &self.layouts {
            layout.check()?;
            if !names.insert(layout.name.as_str()) {
                return Err(format!("two layouts are named {:?}", layout.name));
            }
        }
        if !names.contains(self.active.as_str()) {
            return Err(format!("no layout is named {:?}", self.active));
        }
        let mut keys = std::collections::BTreeSet::new();
        for s in &self.shortcuts {
            if s.key != normalize_key(&s.key)
                || s.key.is_empty()
                || s.key.chars().count() > 20
                || RESERVED_KEYS.contains(&s.key.as_str())
            {
                return Err(format!("{:?} cannot be a shortcut", s.key));
            }
            if !keys.insert(s.key.as_str()) {
                return Err(format!("the key {} is bound twice", s.key));
            }
        }
        if self.shortcuts.len() > 64 {
            return Err("at most 64 shortcuts".to_owned());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_workspace_is_valid_and_round_trips() {
        let ws = Workspace::default();
        ws.check().unwrap();
        let json = serde_json::to_string(&ws).unwrap();
        assert_eq!(serde_json::from_str::<Workspace>(&json).unwrap(), ws);
        assert_eq!(ws.layout().name, DEFAULT_LAYOUT);
    }

    #[test]
    fn layouts_are_saved_switched_and_removed_by_name() {
        let mut ws = Workspace::default();
        let mut wide = ws.layout();
        wide.markets_px = 400;
        wide.toggle(Pane::Side);
        ws.set_layout(wide);
        ws.save_as("Wide");
        assert_eq!(ws.layouts.len(), 2);
        assert_eq!(ws.layout().markets_px, 400);
        assert!(ws.layout().is_collapsed(Pane::Side));
        ws.check().unwrap();
        ws.remove("Wide");
        assert_eq!(ws.active, DEFAULT_LAYOUT);
        ws.remove(DEFAULT_LAYOUT);
        assert_eq!(ws.layouts.len(), 1, "the last layout stays");
    }

    #[test]
    fn dragging_a_splitter_resizes_the_pane_beside_it_within_bounds() {
        let mut l = Layout::standard("x");
        l.drag(Edge::Left, 40);
        assert_eq!(l.markets_px, 300);
        l.drag(Edge::Right, 30);
        assert_eq!(
            l.ticket_px, 250,
            "the ticket narrows as its edge moves right"
        );
        l.drag(Edge::Bottom, -50);
        assert_eq!(
            l.bottom_px, 240,
            "the bottom row grows as its edge moves up"
        );
        l.drag(Edge::Side, -2_000);
        assert_eq!(l.side_px, Layout::SIDE.max);
        l.ticket_left = true;
        l.drag(Edge::Left, 10);
        assert_eq!(
            (l.ticket_px, l.markets_px),
            (260, 300),
            "the left column is the ticket"
        );
        l.check().unwrap();
    }

    #[test]
    fn shortcuts_rebind_and_refuse_conflicts() {
        let mut ws = Workspace::default();
        assert_eq!(ws.command("b"), Some(KeyCommand::Buy));
        assert_eq!(ws.command("ArrowDown"), Some(KeyCommand::TickDown));
        ws.bind(KeyCommand::Buy, "j").unwrap();
        assert_eq!(ws.command("J"), Some(KeyCommand::Buy));
        assert_eq!(ws.command("B"), None, "the old key is free");
        let err = ws.bind(KeyCommand::Sell, "y").unwrap_err();
        assert!(err.contains("Ticket side YES"), "{err}");
        assert_eq!(
            ws.command("S"),
            Some(KeyCommand::Sell),
            "a refused bind changes nothing"
        );
        assert!(ws.bind(KeyCommand::Help, "Escape").is_err());
        ws.check().unwrap();
        ws.shortcuts.push(Shortcut {
            key: "J".to_owned(),
            command: KeyCommand::Sell,
        });
        assert!(ws.check().unwrap_err().contains("bound twice"));
        // A workspace stored before shortcuts existed reads with the defaults.
        let old = r#"{"active":"Default","layouts":[{"name":"Default","markets_px":260,"ticket_px":280,"side_px":260,"bottom_px":190}]}"#;
        let ws: Workspace = serde_json::from_str(old).unwrap();
        assert_eq!(ws.shortcuts, default_shortcuts());
    }

    #[test]
    fn prices_show_in_cents_dollars_or_percent_exactly() {
        let d = |s: &str| s.parse::<Dollars>().unwrap();
        let cases = [
            ("0.56", "56¢", "0.5600", "56%"),
            ("0.0560", "5.6¢", "0.0560", "5.6%"),
            ("0.0025", "0.25¢", "0.0025", "0.25%"),
            ("0.999", "99.9¢", "0.9990", "99.9%"),
            ("1", "100¢", "1.0000", "100%"),
            ("0", "0¢", "0.0000", "0%"),
            ("-0.03", "-3¢", "-0.0300", "-3%"),
            ("0.000125", "0.0125¢", "0.000125", "0.0125%"),
        ];
        for (price, cents, dollars, percent) in cases {
            assert_eq!(PriceFormat::Cents.show(d(price)), cents, "{price}");
            assert_eq!(PriceFormat::Dollars.show(d(price)), dollars, "{price}");
            assert_eq!(PriceFormat::Percent.show(d(price)), percent, "{price}");
        }
        assert_eq!(PriceFormat::named("percent"), Some(PriceFormat::Percent));
    }

    #[test]
    fn what_the_screen_cannot_lay_out_is_refused() {
        let mut ws = Workspace::default();
        ws.layouts[0].ticket_px = 90;
        assert!(ws.check().unwrap_err().contains("ticket_px"));
        let mut ws = Workspace::default();
        ws.layouts.push(Layout::standard(DEFAULT_LAYOUT));
        assert!(ws.check().unwrap_err().contains("two layouts"));
        let ws = Workspace {
            active: "Nope".to_owned(),
            ..Workspace::default()
        };
        assert!(ws.check().is_err());
        let mut ws = Workspace::default();
        ws.layouts[0].name = " padded".to_owned();
        ws.active = " padded".to_owned();
        assert!(ws.check().is_err());
        let mut ws = Workspace::default();
        ws.layouts[0].row = vec![RowPane::Orders, RowPane::Orders, RowPane::History];
        assert!(ws.check().unwrap_err().contains("once each"));
    }

    #[test]
    fn the_row_under_the_market_is_rearranged_and_old_layouts_read_in_order() {
        let mut l = Layout::standard("x");
        l.shift(RowPane::History, false);
        l.shift(RowPane::History, false);
        assert_eq!(
            l.row,
            [RowPane::History, RowPane::Orders, RowPane::Portfolio]
        );
        l.shift(RowPane::History, false);
        assert_eq!(l.place(RowPane::History), 0, "at the left end it stays");
        l.shift(RowPane::Portfolio, true);
        assert_eq!(l.place(RowPane::Portfolio), 2);
        let old =
            r#"{"name":"Old","markets_px":260,"ticket_px":280,"side_px":260,"bottom_px":190}"#;
        let read: Layout = serde_json::from_str(old).unwrap();
        assert_eq!(read.row, RowPane::ALL.to_vec());
        read.check().unwrap();
    }
}
