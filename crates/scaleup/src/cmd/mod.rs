//! One module per subcommand. Each exposes `Args` (clap) and `run(Args) -> anyhow::Result<()>`.
//! Analysis commands read files, call a pure crate and print; they hold no logic of their own.

pub mod design;
pub mod econ;
pub mod econ_budget;
pub mod instruments;
pub mod plan;
pub mod protocols;
pub mod stats;
pub mod stats_gee_meta;

#[cfg(feature = "server")]
pub mod analyze;
#[cfg(feature = "server")]
pub mod audit;
#[cfg(feature = "server")]
pub mod backup;
#[cfg(feature = "server")]
pub mod config;
#[cfg(feature = "server")]
pub mod definitions;
#[cfg(feature = "server")]
pub mod demo;
#[cfg(feature = "server")]
pub mod export;
#[cfg(feature = "server")]
pub mod export_dhis2;
#[cfg(feature = "server")]
pub mod import;
#[cfg(feature = "server")]
pub mod indicators;
#[cfg(feature = "server")]
pub mod key;
#[cfg(feature = "server")]
pub mod migrate;
#[cfg(feature = "server")]
pub mod serve;
#[cfg(feature = "server")]
pub mod user;

/// Output format shared by analysis commands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable text.
    #[default]
    Text,
    /// One JSON object on standard output.
    Json,
    /// A self-contained HTML page (where the command supports it).
    Html,
}
