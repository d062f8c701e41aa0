/// Bayesian linear regression with known noise: the conjugate posterior and its variational fit.
module BayesDL.Dsl.LinearRegression

open BayesDL.Inference
open TorchSharp

/// A Gaussian belief over weights, as plain arrays.
type WeightPosterior = { Mean: float[]; StdDev: float[] }

let private ofGaussian (p: GaussianPosterior) =
    use std = p.StdDev()
    { Mean = Tensors.toArray p.Mean; StdDev = Tensors.toArray std }

/// The exact posterior N(m_N, Sigma_N) by Bayes' rule.
let exactPosterior (noiseStd: float) (priorStd: float) (x: torch.Tensor) (y: torch.Tensor) =
    use p = ConjugateLinearRegression.Posterior(x, y, noiseStd, priorStd)
    ofGaussian p

/// The log evidence log p(y | X).
let logEvidence (noiseStd: float) (priorStd: float) (x: torch.Tensor) (y: torch.Tensor) =
    ConjugateLinearRegression.LogEvidence(x, y, noiseStd, priorStd)

/// Variational fit with a full-rank Gaussian: the posterior and the ELBO reached.
let fitVariational (noiseStd: float) (priorStd: float) (x: torch.Tensor) (y: torch.Tensor) =
    let r = LinearRegressionVI.Fit(x, y, noiseStd, priorStd)
    use q = r.Q
    ofGaussian q, r.Elbo
