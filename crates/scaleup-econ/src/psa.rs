//! Probabilistic sensitivity analysis: parameter distributions, seeded chunked sampling of a
//! Markov model, and the summaries computed on the fly (means, CEAC, CEAF, EVPI).

pub mod dist;
