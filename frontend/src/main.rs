//! Entry point: mounts the app; everything else lives in the library.

fn main() {
    desk_frontend::run();
}
