//! Windowed lists: of a long (or fast-moving) list only the rows in view and a margin
//! ([`RowWindow`]) are in the document, with spacers standing for the rest. Rows have a
//! fixed height, so where the window is follows from the list's scroll offset and the
//! viewport's height alone; no row is measured.
//!
//! The viewport's height comes from a `ResizeObserver` on the scrolling element (it reports
//! once when observing starts, then on every change: a window resize, a splitter drag, a
//! pane collapsed), and from each scroll event.

use leptos::html::Div;
use leptos::logging::warn;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::state::rules::RowWindow;

/// A viewport height to assume until the observer reports, CSS pixels.
const VIEWPORT_GUESS_PX: u32 = 800;

/// The scroll state of one windowed list; attach [`Windowed::node`] and
/// [`Windowed::on_scroll`] to its scrolling element.
#[derive(Clone, Copy)]
pub struct Windowed {
    geometry: RowWindow,
    scroll: RwSignal<u32>,
    viewport: RwSignal<u32>,
    /// The scrolling element (`node_ref`).
    pub node: NodeRef<Div>,
}

impl Windowed {
    /// A list of `geometry`'s rows, scrolled to the top; observes its element's height once
    /// it is mounted (and stops when the owner is cleaned up).
    pub fn new(geometry: RowWindow) -> Windowed {
        let list = Windowed {
            geometry,
            scroll: RwSignal::new(0),
            viewport: RwSignal::new(VIEWPORT_GUESS_PX),
            node: NodeRef::new(),
        };
        let observer =
            StoredValue::new_local(None::<(web_sys::ResizeObserver, Closure<dyn FnMut()>)>);
        let disconnect = move || {
            observer.update_value(|o| {
                if let Some((o, _)) = o.take() {
                    o.disconnect();
                }
            });
        };
        Effect::new(move |_| {
            let Some(el) = list.node.get() else {
                return;
            };
            disconnect();
            let measured = el.clone();
            let on_resize = Closure::<dyn FnMut()>::new(move || {
                list.viewport.set(height_of(&measured));
            });
            match web_sys::ResizeObserver::new(on_resize.as_ref().unchecked_ref()) {
                Ok(o) => {
                    o.observe(&el);
                    observer.set_value(Some((o, on_resize)));
                }
                // The guess and the scroll events still window the list.
                Err(e) => warn!("no ResizeObserver: {e:?}"),
            }
        });
        on_cleanup(disconnect);
        list
    }

    /// The scroll handler of the list's element.
    pub fn on_scroll(self) -> impl Fn(leptos::ev::Event) + Copy + 'static {
        move |ev| {
            let el = event_target::<web_sys::Element>(&ev);
            self.scroll.set(u32::try_from(el.scroll_top()).unwrap_or(0));
            self.viewport.set(height_of(&el));
        }
    }

    /// The rows `[first, last)` of a list of `len` rows to render now (tracks the scroll
    /// offset and the viewport).
    pub fn rows(self, len: usize) -> (usize, usize) {
        self.geometry
            .rows(len, self.scroll.get(), self.viewport.get())
    }

    /// The window over a list whose length `len` reads (tracked), as
    /// `((first, last), len)`: the rows to render and the list's length, for the spacers.
    pub fn window(
        self,
        len: impl Fn() -> usize + Send + Sync + 'static,
    ) -> Memo<((usize, usize), usize)> {
        Memo::new(move |_| {
            let len = len();
            (self.rows(len), len)
        })
    }

    /// The style of a spacer standing for `rows` rows not rendered.
    pub fn spacer(self, rows: usize) -> String {
        format!("height: {}px", self.geometry.height_px(rows))
    }
}

/// An element's inner height, CSS pixels (at least 1).
fn height_of(el: &web_sys::Element) -> u32 {
    u32::try_from(el.client_height()).unwrap_or(0).max(1)
}
