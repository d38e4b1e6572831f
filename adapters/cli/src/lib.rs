//! The `headroom` command's library: each subcommand is a module, so tests and the demo call
//! the same code the binary runs.
//!
//! | module | subcommand |
//! |---|---|
//! | [`inspect`] | `headroom inspect`: a response head → the JSON of what headroom reads from it |
//! | [`fetch`] | `headroom fetch`: URLs through one shared limiter, N threads |
//! | [`serve`] | `headroom serve`: a local SynthLink-compatible API |
//! | [`demo`] | `headroom demo`: serve + fetch in-process, against the ideal schedule |
//! | [`peers`] | (for tests) third-party peers: express-rate-limit |

pub mod demo;
pub mod fetch;
pub mod inspect;
pub mod peers;
pub mod serve;
