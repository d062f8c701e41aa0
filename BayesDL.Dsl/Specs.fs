/// Priors, likelihoods and variational families as values that read like the slides:
/// `Normal(0., 1.)`, `scaleMixture 0.5 1.0 0.0025`, `categorical`, `meanField`, `lowRank 5`, `dropout 0.5`.
[<AutoOpen>]
module BayesDL.Dsl.Specs

open BayesDL.Builders

/// A prior over weights (or over a latent code).
type Prior =
    /// N(loc, scale^2).
    | Normal of loc: float * scale: float
    /// Laplace(loc, scale).
    | Laplace of loc: float * scale: float
    /// pi N(0, sigma1^2) + (1 - pi) N(0, sigma2^2) (Blundell et al. 2015).
    | ScaleMixture of pi: float * sigma1: float * sigma2: float

/// The scale-mixture prior pi N(0, s1^2) + (1 - pi) N(0, s2^2).
let scaleMixture (pi: float) (sigma1: float) (sigma2: float) = ScaleMixture(pi, sigma1, sigma2)

/// y ~ N(f(x), sigma^2) with sigma learned.
let gaussian = Likelihoods.GaussianLearned()
/// y ~ N(f(x), sigma^2) with sigma fixed.
let gaussianWith (noiseStd: float) = Likelihoods.Gaussian noiseStd
/// y ~ N(mu(x), exp(s(x))): the network predicts [mean, log-variance].
let heteroscedastic = Likelihoods.Heteroscedastic()
/// y ~ Bernoulli(sigmoid(f(x))).
let bernoulli = Likelihoods.Bernoulli()
/// y ~ Categorical(softmax(f(x))).
let categorical = Likelihoods.Categorical()

/// q(w) = prod N(mu_i, sigma_i^2).
let meanField = VariationalFamily.MeanField
/// q(w) = N(mu, D + U U^T), rank k, over all the weights of each Bayesian dense layer.
let lowRank (k: int) = VariationalFamily.LowRank k
/// q(w) = N(mu, L L^T) over all the weights of each Bayesian dense layer (up to 2,048 per layer).
let fullRank = VariationalFamily.FullRank
/// MC dropout with rate p, kept on at test time.
let dropout (p: float) = VariationalFamily.Dropout p
/// Dropout with a learned rate before every deterministic weight layer (Gal, Hron & Kendall 2017; prior N(0, s^2)).
let concreteDropout = VariationalFamily.ConcreteDropout

/// Priors as core distributions.
module Prior =
    /// The prior with every one of `dimension` coordinates independent and identically distributed, under `policy`.
    let distribution (prior: Prior) (dimension: int64) (policy: BayesDL.Engine.ComputePolicy) : BayesDL.Distributions.Distribution =
        let filled (v: float) = policy.Tensor(Array.create (int dimension) v, dimension)
        match prior with
        | Normal(loc, scale) -> BayesDL.Distributions.Dist.Normal(filled loc, filled scale)
        | Laplace(loc, scale) -> BayesDL.Distributions.Dist.Laplace(filled loc, filled scale)
        | ScaleMixture(pi, s1, s2) -> BayesDL.Distributions.Dist.ScaleMixtureNormal(filled pi, filled s1, filled s2)

    /// The prior as a weight prior of Bayesian layers (the core's PriorSpec).
    let weightPrior (prior: Prior) : BayesDL.Layers.PriorSpec =
        match prior with
        | Normal(loc, scale) -> BayesDL.Builders.Priors.Normal(loc, scale)
        | Laplace(loc, scale) -> BayesDL.Builders.Priors.Laplace(loc, scale)
        | ScaleMixture(pi, s1, s2) -> BayesDL.Builders.Priors.ScaleMixture(pi, s1, s2)
