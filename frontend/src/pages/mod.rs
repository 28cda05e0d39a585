//! Pages. The desk is a single screen.

pub mod desk;
