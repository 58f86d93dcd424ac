//! Many targets at once: a lazy stream of reports with bounded concurrency.

use crate::net::run::probe;
use crate::options::ProbeOptions;
use crate::report::Report;
use crate::target::Target;
use futures_util::stream::{self, Stream, StreamExt};

/// Probes every target of `targets` (consumed lazily: a /8 is never materialised) with at most
/// `concurrency` probes in flight, yielding reports as they finish (not in input order).
/// Exactly one report per target.
pub fn scan<I>(targets: I, opts: &ProbeOptions, concurrency: usize) -> impl Stream<Item = Report> + '_
where
    I: IntoIterator<Item = Target>,
    I::IntoIter: 'static,
{
    stream::iter(targets).map(move |t| async move { probe(&t, opts).await }).buffer_unordered(concurrency.max(1))
}
