//! Pages: the login page, and the desk (a single screen) once logged in.

pub mod desk;
pub mod login;
