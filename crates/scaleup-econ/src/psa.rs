//! Probabilistic sensitivity analysis: parameter distributions, seeded chunked sampling of a
//! Markov model, and the summaries computed on the fly (means, CEAC, CEAF, EVPI).

pub mod dist;

use crate::markov::{LANES, Model, ModelError, Outcome, Workspace};
use crate::voi::{NmbAccumulator, WtpSummary};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Settings for [`run_psa`].
#[derive(Clone, Debug)]
pub struct PsaConfig {
    /// Number of draws.
    pub draws: usize,
    /// Seed; the same seed, draws and chunk size give the same draws on any thread count.
    pub seed: u64,
    /// Willingness-to-pay values for CEAC, CEAF and EVPI.
    pub wtp: Vec<f64>,
    /// Draws per chunk (the unit of streaming and of random-number streams).
    pub chunk_size: usize,
    /// Worker threads (1 = run on the caller's thread).
    pub threads: usize,
    /// Draws kept in memory for the cost-effectiveness plane (the first ones).
    pub keep_points: usize,
}

impl PsaConfig {
    /// Defaults: chunks of 4096 draws, one thread, 1000 CE-plane points.
    pub fn new(draws: usize, seed: u64, wtp: Vec<f64>) -> PsaConfig {
        PsaConfig {
            draws,
            seed,
            wtp,
            chunk_size: 4096,
            threads: 1,
            keep_points: 1000,
        }
    }
}

/// One chunk of consecutive draws, handed to the sink in draw order.
#[derive(Clone, Debug)]
pub struct DrawChunk {
    /// 0-based index of the chunk's first draw.
    pub first_draw: usize,
    /// Parameter values, `n_slots` per draw.
    pub params: Vec<f64>,
    /// Outcomes, one per strategy per draw.
    pub outcomes: Vec<Outcome>,
}

/// PSA summaries.
#[derive(Clone, Debug)]
pub struct PsaResult {
    /// Strategy names.
    pub strategies: Vec<String>,
    /// Number of draws.
    pub draws: usize,
    /// Mean cost per strategy.
    pub mean_cost: Vec<f64>,
    /// Mean effect per strategy.
    pub mean_effect: Vec<f64>,
    /// Sample standard deviation of cost per strategy.
    pub sd_cost: Vec<f64>,
    /// Sample standard deviation of effect per strategy.
    pub sd_effect: Vec<f64>,
    /// CEAC, CEAF and EVPI per willingness-to-pay value.
    pub by_wtp: Vec<WtpSummary>,
    /// The first `keep_points` draws' outcomes (draw-major), for the CE plane.
    pub points: Vec<Outcome>,
}

/// PSA failures.
#[derive(Debug, thiserror::Error)]
pub enum PsaError {
    /// Bad configuration.
    #[error("{0}")]
    Config(String),
    /// A parameter distribution cannot be sampled.
    #[error("parameter '{parameter}': {message}")]
    Distribution {
        /// Parameter name.
        parameter: String,
        /// Rule broken.
        message: String,
    },
    /// A draw produced an invalid model (for example a probability above 1).
    #[error("draw {draw}: {source}")]
    Draw {
        /// 1-based draw number.
        draw: usize,
        /// What went wrong.
        source: ModelError,
    },
    /// The sink refused a chunk.
    #[error("{0}")]
    Sink(String),
    /// No parameter has a distribution that varies: every draw would be the base case, the
    /// CEAC a step function and the EVPI exactly 0, which reads as "no uncertainty" when it
    /// means "no uncertainty was described".
    #[error(
        "no parameter of the model has a distribution that varies (every one is fixed), so every draw would give the same result and the EVPI would be 0 by construction; give the uncertain parameters a distribution, or run the model deterministically"
    )]
    NoUncertainty,
}

/// Running mean and sum of squared deviations (Welford), mergeable (Chan et al.).
#[derive(Clone, Copy, Debug, Default)]
struct Moments {
    n: f64,
    mean: f64,
    m2: f64,
}

impl Moments {
    fn add(&mut self, x: f64) {
        self.n += 1.0;
        let d = x - self.mean;
        self.mean += d / self.n;
        self.m2 += d * (x - self.mean);
    }
    fn merge(&mut self, o: &Moments) {
        if o.n == 0.0 {
            return;
        }
        let n = self.n + o.n;
        let d = o.mean - self.mean;
        self.mean += d * o.n / n;
        self.m2 += o.m2 + d * d * self.n * o.n / n;
        self.n = n;
    }
    fn sd(&self) -> f64 {
        if self.n > 1.0 {
            (self.m2 / (self.n - 1.0)).sqrt()
        } else {
            0.0
        }
    }
}

struct ChunkOut {
    chunk: DrawChunk,
    acc: NmbAccumulator,
    cost: Vec<Moments>,
    effect: Vec<Moments>,
}

fn run_chunk(
    model: &Model,
    samplers: &[dist::Sampler],
    cfg: &PsaConfig,
    index: usize,
) -> Result<ChunkOut, PsaError> {
    let first = index * cfg.chunk_size;
    let n = cfg.chunk_size.min(cfg.draws - first);
    let k = model.strategy_names().len();
    let slots = model.n_slots();
    // One independent ChaCha stream per chunk: results do not depend on the thread count.
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    rng.set_stream(index as u64);
    let mut params = vec![0.0; n * slots];
    let mut outcomes = vec![
        Outcome {
            cost: 0.0,
            effect: 0.0
        };
        n * k
    ];
    let mut ws = Workspace::new(model);
    let mut acc = NmbAccumulator::new(&cfg.wtp, k);
    let mut cost = vec![Moments::default(); k];
    let mut effect = vec![Moments::default(); k];
    let mut cbuf = vec![0.0; k];
    let mut ebuf = vec![0.0; k];
    for d in 0..n {
        let values = &mut params[d * slots..(d + 1) * slots];
        for (p, s) in model.parameters().iter().zip(samplers) {
            s.sample_into(
                &mut rng,
                &mut values[p.offset..p.offset + p.distribution.dim()],
            );
        }
    }
    // Evaluate in batches of LANES draws (see Model::evaluate_batch).
    let mut b = 0;
    while b < n {
        let e = (b + LANES).min(n);
        model
            .evaluate_batch(
                &params[b * slots..e * slots],
                &mut ws,
                &mut outcomes[b * k..e * k],
            )
            .map_err(|(lane, source)| PsaError::Draw {
                draw: first + b + lane + 1,
                source,
            })?;
        b = e;
    }
    for d in 0..n {
        let out = &outcomes[d * k..(d + 1) * k];
        for j in 0..k {
            cbuf[j] = out[j].cost;
            ebuf[j] = out[j].effect;
            cost[j].add(out[j].cost);
            effect[j].add(out[j].effect);
        }
        acc.add(&cbuf, &ebuf);
    }
    Ok(ChunkOut {
        chunk: DrawChunk {
            first_draw: first,
            params,
            outcomes,
        },
        acc,
        cost,
        effect,
    })
}

/// Runs a PSA of `model`: draws every parameter from its distribution, evaluates all
/// strategies, and accumulates means, CEAC, CEAF and EVPI. Draws are produced in chunks and
/// handed to `sink` in order (for example to stream them to a file), so memory stays bounded
/// by `threads × chunk_size` draws whatever the number of draws.
pub fn run_psa<F>(model: &Model, cfg: &PsaConfig, mut sink: F) -> Result<PsaResult, PsaError>
where
    F: FnMut(&DrawChunk) -> Result<(), String>,
{
    if cfg.draws == 0 {
        return Err(PsaError::Config(
            "the number of draws must be at least 1".into(),
        ));
    }
    if cfg.chunk_size == 0 || cfg.threads == 0 {
        return Err(PsaError::Config(
            "chunk size and thread count must be at least 1".into(),
        ));
    }
    if cfg.wtp.iter().any(|w| !w.is_finite()) {
        return Err(PsaError::Config(
            "willingness-to-pay values must be finite".into(),
        ));
    }
    if !model.parameters().iter().any(|p| p.distribution.varies()) {
        return Err(PsaError::NoUncertainty);
    }
    let samplers: Vec<dist::Sampler> = model
        .parameters()
        .iter()
        .map(|p| {
            p.distribution
                .sampler()
                .map_err(|e| PsaError::Distribution {
                    parameter: p.name.clone(),
                    message: e.0,
                })
        })
        .collect::<Result<_, _>>()?;
    let k = model.strategy_names().len();
    let n_chunks = cfg.draws.div_ceil(cfg.chunk_size);
    let mut acc = NmbAccumulator::new(&cfg.wtp, k);
    let mut cost = vec![Moments::default(); k];
    let mut effect = vec![Moments::default(); k];
    let mut points = Vec::new();
    let keep = cfg.keep_points.min(cfg.draws) * k;

    let mut next = 0;
    while next < n_chunks {
        let wave: Vec<usize> = (next..(next + cfg.threads).min(n_chunks)).collect();
        next += wave.len();
        let results: Vec<Result<ChunkOut, PsaError>> = if wave.len() == 1 {
            vec![run_chunk(model, &samplers, cfg, wave[0])]
        } else {
            std::thread::scope(|s| {
                let handles: Vec<_> = wave
                    .iter()
                    .map(|&c| {
                        let samplers = &samplers;
                        s.spawn(move || run_chunk(model, samplers, cfg, c))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("PSA worker panicked"))
                    .collect()
            })
        };
        for r in results {
            let out = r?;
            sink(&out.chunk).map_err(PsaError::Sink)?;
            acc.merge(&out.acc);
            for j in 0..k {
                cost[j].merge(&out.cost[j]);
                effect[j].merge(&out.effect[j]);
            }
            if points.len() < keep {
                let take = (keep - points.len()).min(out.chunk.outcomes.len());
                points.extend_from_slice(&out.chunk.outcomes[..take]);
            }
        }
    }
    Ok(PsaResult {
        strategies: model
            .strategy_names()
            .into_iter()
            .map(String::from)
            .collect(),
        draws: cfg.draws,
        mean_cost: cost.iter().map(|m| m.mean).collect(),
        mean_effect: effect.iter().map(|m| m.mean).collect(),
        sd_cost: cost.iter().map(Moments::sd).collect(),
        sd_effect: effect.iter().map(Moments::sd).collect(),
        by_wtp: acc.finish(),
        points,
    })
}

#[cfg(test)]
mod tests;
