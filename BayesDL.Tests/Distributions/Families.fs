/// The distribution families under test: how to build each from a flat parameter vector, FsCheck generators for
/// moderate and extreme valid parameters, and MathNet.Numerics reference log-densities where MathNet has the family.
module BayesDL.Tests.Distributions.Families

open System
open FsCheck
open FsCheck.FSharp
open TorchSharp
open BayesDL.Engine
open BayesDL.Distributions
open MathNet.Numerics

type MN = MathNet.Numerics.Distributions.Normal

/// One family: parameters are a flat float[] in the family's own layout.
type Family =
    { Name: string
      /// Builds the distribution from a parameter tensor [P] (batch shape ()) or [..., P] (batch shape [...]),
      /// so that gradients flow to its entries.
      Build: torch.Tensor -> Distribution
      /// Parameters where densities are smooth enough for quadrature and moments are finite.
      Moderate: Gen<float[]>
      /// Extreme but valid parameters (scales 1e-4..1e4, probabilities down to 1e-6).
      Extreme: Gen<float[]>
      /// The reference log-density from MathNet.Numerics (or the textbook formula where MathNet lacks the family).
      Reference: (float[] -> float -> float) option
      /// The support's kind: "real", "positive", "unit", "interval", or "discrete"/"multivariate".
      Support: string }

let private uniform lo hi = Gen.choose (0, 1_000_000) |> Gen.map (fun i -> lo + (hi - lo) * float i / 1e6)
let private logUniform lo hi = uniform (log lo) (log hi) |> Gen.map exp
let private gens (gs: Gen<float> list) = gs |> Gen.sequenceToList |> Gen.map Array.ofList

// Parameters along the last dimension, so that the same Build serves one parameter vector [P] (batch shape ())
// and a batch of them [..., P] (batch shape [...]).
let private at (t: torch.Tensor) (i: int) = t.select(-1L, int64 i)
let private part (t: torch.Tensor) (start: int) (length: int) = t.narrow(-1L, int64 start, int64 length)
/// The last dimension of a parameter slice as a matrix [..., rows, cols].
let private matrix (v: torch.Tensor) (rows: int64) (cols: int64) = v.reshape(Array.append v.shape[.. int (v.dim()) - 2] [| rows; cols |])

/// logsumexp of two log-terms, for the scale-mixture reference.
let private logAdd (a: float) (b: float) =
    let m = max a b
    if Double.IsNegativeInfinity m then m else m + log (exp (a - m) + exp (b - m))

let families : Family list =
    [ { Name = "Normal"; Build = (fun t -> Dist.Normal(at t 0, at t 1))
        Moderate = gens [ uniform -2.0 2.0; logUniform 0.3 3.0 ]; Extreme = gens [ uniform -1e3 1e3; logUniform 1e-4 1e4 ]
        Reference = Some(fun x v -> Distributions.Normal.PDFLn(x[0], x[1], v)); Support = "real" }
      { Name = "Laplace"; Build = (fun t -> Dist.Laplace(at t 0, at t 1))
        Moderate = gens [ uniform -2.0 2.0; logUniform 0.3 3.0 ]; Extreme = gens [ uniform -1e3 1e3; logUniform 1e-4 1e4 ]
        Reference = Some(fun x v -> Distributions.Laplace.PDFLn(x[0], x[1], v)); Support = "real" }
      { Name = "LogNormal"; Build = (fun t -> Dist.LogNormal(at t 0, at t 1))
        Moderate = gens [ uniform -1.0 1.0; logUniform 0.2 1.0 ]; Extreme = gens [ uniform -20.0 20.0; logUniform 1e-4 3.0 ]
        Reference = Some(fun x v -> Distributions.LogNormal.PDFLn(x[0], x[1], v)); Support = "positive" }
      { Name = "Gamma"; Build = (fun t -> Dist.Gamma(at t 0, at t 1))
        Moderate = gens [ logUniform 1.0 8.0; logUniform 0.3 3.0 ]; Extreme = gens [ logUniform 1e-2 1e4; logUniform 1e-4 1e4 ]
        Reference = Some(fun x v -> Distributions.Gamma.PDFLn(x[0], x[1], v)); Support = "positive" }
      { Name = "Beta"; Build = (fun t -> Dist.Beta(at t 0, at t 1))
        Moderate = gens [ logUniform 1.0 8.0; logUniform 1.0 8.0 ]; Extreme = gens [ logUniform 1e-2 1e4; logUniform 1e-2 1e4 ]
        Reference = Some(fun x v -> Distributions.Beta.PDFLn(x[0], x[1], v)); Support = "unit" }
      { Name = "Exponential"; Build = (fun t -> Dist.Exponential(at t 0))
        Moderate = gens [ logUniform 0.3 3.0 ]; Extreme = gens [ logUniform 1e-4 1e4 ]
        Reference = Some(fun x v -> Distributions.Exponential.PDFLn(x[0], v)); Support = "positive" }
      { Name = "Uniform"; Build = (fun t -> Dist.Uniform(at t 0, at t 0 + at t 1))
        Moderate = gens [ uniform -1.0 0.5; logUniform 0.2 2.0 ]; Extreme = gens [ uniform -1e3 1e3; logUniform 1e-4 1e4 ]
        Reference = Some(fun x v -> Distributions.ContinuousUniform.PDFLn(x[0], x[0] + x[1], v)); Support = "interval" }
      { Name = "HalfNormal"; Build = (fun t -> Dist.HalfNormal(at t 0))
        Moderate = gens [ logUniform 0.3 3.0 ]; Extreme = gens [ logUniform 1e-4 1e4 ]
        Reference = Some(fun x v -> log 2.0 + Distributions.Normal.PDFLn(0.0, x[0], v)); Support = "positive" }
      { Name = "HalfCauchy"; Build = (fun t -> Dist.HalfCauchy(at t 0))
        Moderate = gens [ logUniform 0.3 3.0 ]; Extreme = gens [ logUniform 1e-4 1e4 ]
        Reference = Some(fun x v -> log 2.0 + Distributions.Cauchy.PDFLn(0.0, x[0], v)); Support = "positive" }
      { Name = "StudentT"; Build = (fun t -> Dist.StudentT(at t 0, at t 1, at t 2))
        Moderate = gens [ logUniform 5.0 30.0; uniform -2.0 2.0; logUniform 0.3 3.0 ]
        Extreme = gens [ logUniform 1e-2 1e4; uniform -1e3 1e3; logUniform 1e-4 1e4 ]
        Reference = Some(fun x v -> Distributions.StudentT.PDFLn(x[1], x[2], x[0], v)); Support = "real" }
      { Name = "ScaleMixtureNormal"; Build = (fun t -> Dist.ScaleMixtureNormal(at t 0, at t 1, at t 2))
        Moderate = gens [ uniform 0.1 0.9; logUniform 0.5 2.0; logUniform 0.01 0.3 ]
        Extreme = gens [ uniform 1e-6 (1.0 - 1e-6); logUniform 1e-4 1e4; logUniform 1e-4 1e4 ]
        Reference =
            Some(fun x v ->
                logAdd (log x[0] + Distributions.Normal.PDFLn(0.0, x[1], v)) (log (1.0 - x[0]) + Distributions.Normal.PDFLn(0.0, x[2], v)))
        Support = "real" }
      { Name = "RelaxedBernoulli"; Build = (fun t -> Dist.RelaxedBernoulli(at t 0, at t 1))
        Moderate = gens [ logUniform 0.3 2.0; uniform 0.1 0.9 ]; Extreme = gens [ logUniform 0.05 10.0; uniform 1e-6 (1.0 - 1e-6) ]
        // Maddison et al. 2017, eq. for the binary Concrete density: T a y^(-T-1) (1-y)^(-T-1) / (a y^-T + (1-y)^-T)^2, a = p/(1-p).
        Reference = Some(fun x y ->
            let t, a = x[0], x[1] / (1.0 - x[1])
            log t + log a + (-t - 1.0) * (log y + log (1.0 - y)) - 2.0 * log (a * y ** -t + (1.0 - y) ** -t))
        Support = "unit" }
      { Name = "Bernoulli"; Build = (fun t -> Dist.Bernoulli(at t 0))
        Moderate = gens [ uniform 0.05 0.95 ]; Extreme = gens [ logUniform 1e-6 0.5 |> Gen.map (fun u -> u) ]
        Reference = Some(fun x k -> Distributions.Bernoulli.PMFLn(x[0], int k)); Support = "discrete" }
      { Name = "Categorical"; Build = (fun t -> Dist.Categorical(t))
        Moderate = gens [ for _ in 1..4 -> logUniform 0.05 1.0 ] |> Gen.map (fun w -> w |> Array.map (fun v -> v / Array.sum w))
        Extreme = gens [ for _ in 1..4 -> logUniform 1e-6 1.0 ] |> Gen.map (fun w -> w |> Array.map (fun v -> v / Array.sum w))
        Reference = Some(fun x k -> Distributions.Categorical.PMFLn(x, int k)); Support = "discrete" }
      { Name = "Dirichlet"; Build = (fun t -> Dist.Dirichlet(t))
        Moderate = gens [ for _ in 1..3 -> logUniform 1.0 5.0 ]; Extreme = gens [ for _ in 1..3 -> logUniform 1e-2 1e4 ]
        Reference = None; Support = "multivariate" }
      { Name = "MultivariateNormal"
        // Covariance A A^T + 0.1 I from a 3x3 factor A: symmetric positive-definite by construction.
        Build = (fun t ->
            let a = matrix (part t 3 9) 3L 3L
            Dist.MultivariateNormal(part t 0 3, a.matmul(a.mT) + 0.1 * torch.eye(3L, dtype = t.dtype)))
        Moderate = gens [ for i in 0..11 -> if i < 3 then uniform -1.0 1.0 else uniform -1.0 1.0 ]
        Extreme = gens [ for i in 0..11 -> if i < 3 then uniform -1e3 1e3 else uniform -30.0 30.0 ]
        Reference = None; Support = "multivariate" }
      { Name = "LowRankMultivariateNormal"
        Build = (fun t -> Dist.LowRankMultivariateNormal(part t 0 3, matrix (part t 3 6) 3L 2L, part t 9 3))
        Moderate = gens [ for i in 0..11 -> if i < 9 then uniform -1.0 1.0 else logUniform 0.3 2.0 ]
        Extreme = gens [ for i in 0..11 -> if i < 3 then uniform -1e3 1e3 elif i < 9 then uniform -30.0 30.0 else logUniform 1e-4 1e4 ]
        Reference = None; Support = "multivariate" }
      { Name = "Independent"; Build = (fun t -> Dist.DiagonalNormal(part t 0 3, part t 3 3))
        Moderate = gens [ for i in 0..5 -> if i < 3 then uniform -2.0 2.0 else logUniform 0.3 3.0 ]
        Extreme = gens [ for i in 0..5 -> if i < 3 then uniform -1e3 1e3 else logUniform 1e-4 1e4 ]
        Reference = None; Support = "multivariate" } ]

/// MathNet's log-densities do not all check the support (Exponential.PDFLn(-1) is finite, Gamma's is NaN):
/// -inf outside the support, as the definition requires.
let private guarded (f: Family) =
    let inside =
        match f.Support with
        | "positive" -> fun (_: float[]) x -> x >= 0.0
        | "unit" -> fun _ x -> x > 0.0 && x < 1.0
        | "interval" -> fun (p: float[]) x -> x >= p[0] && x <= p[0] + p[1]
        | _ -> fun _ _ -> true
    { f with Reference = f.Reference |> Option.map (fun r -> fun p x -> if inside p x then r p x else Double.NegativeInfinity) }

let family name = families |> List.find (fun f -> f.Name = name) |> guarded

/// The parameter vector as a 1-D tensor under a policy.
let parameters (policy: ComputePolicy) (x: float[]) = policy.Tensor(x, int64 x.Length)

/// Builds a family's distribution from a parameter vector under a policy.
let make (f: Family) (policy: ComputePolicy) (x: float[]) = f.Build(parameters policy x)

/// Builds a family's distribution of batch shape <paramref name="batch"/> from prod(batch) parameter vectors (row-major).
let makeBatch (f: Family) (policy: ComputePolicy) (batch: int64[]) (xs: float[] list) =
    let width = xs.Head.Length
    f.Build(policy.Tensor(Array.concat xs, int64 (xs.Length * width)).reshape(Array.append batch [| int64 width |]))

/// Draws n parameter vectors from a generator with a fixed seed (reproducible property runs).
let draw (gen: Gen<float[]>) (seed: int) (n: int) : float[] list =
    Gen.sampleWithSeed (Rnd(uint64 seed)) 10 n gen |> List.ofArray

/// Gauss-Kronrod over (a, b) (infinite ends allowed), split at the given interior points.
let integrate (f: float -> float) (a: float) (b: float) (cuts: float list) =
    let points = a :: (cuts |> List.filter (fun c -> c > a && c < b) |> List.sort |> List.distinct) @ [ b ]
    points |> List.pairwise |> List.sumBy (fun (lo, hi) -> Integrate.GaussKronrod(Func<_, _>(f), lo, hi, 1e-13, 20, 61))

/// integral of g over a family's support, by substitution where it makes the integrand smooth:
/// x = e^u on (0, inf), x = sigmoid(t) on (0, 1), direct on the real line (split at cuts) and on [low, high].
let overSupport (support: string) (bounds: float * float) (cuts: float list) (g: float -> float) =
    match support with
    | "positive" ->
        integrate (fun u -> let x = exp u in if x = 0.0 || Double.IsInfinity x then 0.0 else g x * x) Double.NegativeInfinity
            Double.PositiveInfinity (cuts |> List.filter (fun c -> c > 0.0) |> List.map log)
    | "unit" ->
        integrate (fun t -> let x = 1.0 / (1.0 + exp -t) in if x <= 0.0 || x >= 1.0 then 0.0 else g x * x * (1.0 / (1.0 + exp t)))
            -40.0 40.0 []
    | "interval" -> integrate g (fst bounds) (snd bounds) cuts
    | _ -> integrate g Double.NegativeInfinity Double.PositiveInfinity cuts
