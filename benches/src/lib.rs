//! Benchmarks of qa-core: a seeded corpus generator ([`corpus`]), the rubrics the benchmarks
//! run ([`rubrics`]) and the measurements shared by the criterion benches and the `compare`
//! program ([`measure`]). Nothing here is published.

pub mod corpus;
pub mod measure;
pub mod rubrics;
