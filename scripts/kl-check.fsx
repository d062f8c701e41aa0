// Every registered analytic KL(p || q) at sample parameters, checked independently: by numerical integration of
// p log(p/q) (composite Simpson, float64) for univariate continuous pairs, by exact summation over the support for
// discrete pairs, by Monte Carlo (100,000 draws, with its standard error) for multivariate pairs, and by the mass p
// puts outside q's support for the pairs whose KL is infinite.
#load "references.fsx"
open System
open TorchSharp
open BayesDL.Engine
open BayesDL.Distributions
open BayesDL.KL

let policy = ComputePolicy.Cpu.Float64()
NativeEngine.Seed 2026L
let s (v: float) = policy.Scalar v
let v (xs: float list) = policy.Tensor(Array.ofList xs, int64 xs.Length)
let m (rows: float list list) = policy.Tensor(List.concat rows |> Array.ofList, int64 rows.Length, int64 rows.Head.Length)
let mcSamples = if References.quick then 20_000 else 100_000

/// Sample parameters per family: moderate values with smooth densities, so that quadrature is accurate.
let sample (family: string) : Distribution =
    match family with
    | "Normal" -> Dist.Normal(s 0.3, s 1.2)
    | "Laplace" -> Dist.Laplace(s -0.4, s 0.8)
    | "LogNormal" -> Dist.LogNormal(s 0.1, s 0.4)
    | "Gamma" -> Dist.Gamma(s 2.5, s 1.5)
    | "Beta" -> Dist.Beta(s 2.0, s 3.5)
    | "Exponential" -> Dist.Exponential(s 1.7)
    | "Uniform" -> Dist.Uniform(s 0.2, s 0.9)
    | "HalfNormal" -> Dist.HalfNormal(s 1.3)
    | "Bernoulli" -> Dist.Bernoulli(s 0.3)
    | "Categorical" -> Dist.Categorical(v [ 0.1; 0.2; 0.3; 0.4 ])
    | "Dirichlet" -> Dist.Dirichlet(v [ 1.5; 2.0; 3.0 ])
    | "MultivariateNormal" -> Dist.MultivariateNormal(v [ 0.1; -0.2; 0.3 ], m [ [ 1.0; 0.3; 0.1 ]; [ 0.3; 0.8; -0.2 ]; [ 0.1; -0.2; 1.5 ] ])
    | "LowRankMultivariateNormal" -> Dist.LowRankMultivariateNormal(v [ 0.0; 0.4; -0.1 ],
                                                                    m [ [ 0.5 ]; [ -0.3 ]; [ 0.8 ] ], v [ 0.6; 1.1; 0.7 ])
    | "Independent" -> Dist.DiagonalNormal(v [ 0.2; -0.5; 1.0 ], v [ 0.7; 1.3; 0.9 ])
    | other -> failwithf "no sample parameters for %s" other

/// A different member of the same family, so that KL(p || q) > 0.
let other (family: string) : Distribution =
    match family with
    | "Normal" -> Dist.Normal(s -0.5, s 0.7)
    | "Laplace" -> Dist.Laplace(s 0.6, s 1.5)
    | "LogNormal" -> Dist.LogNormal(s -0.2, s 0.7)
    | "Gamma" -> Dist.Gamma(s 1.5, s 0.8)
    | "Beta" -> Dist.Beta(s 1.2, s 1.8)
    | "Exponential" -> Dist.Exponential(s 0.6)
    | "Uniform" -> Dist.Uniform(s 0.0, s 1.5)
    | "HalfNormal" -> Dist.HalfNormal(s 0.6)
    | "Bernoulli" -> Dist.Bernoulli(s 0.65)
    | "Categorical" -> Dist.Categorical(v [ 0.4; 0.3; 0.2; 0.1 ])
    | "Dirichlet" -> Dist.Dirichlet(v [ 0.8; 2.5; 1.2 ])
    | "MultivariateNormal" -> Dist.MultivariateNormal(v [ -0.3; 0.2; 0.0 ], m [ [ 1.4; -0.2; 0.0 ]; [ -0.2; 1.0; 0.3 ]; [ 0.0; 0.3; 0.9 ] ])
    | "LowRankMultivariateNormal" -> Dist.LowRankMultivariateNormal(v [ 0.3; 0.0; 0.2 ],
                                                                    m [ [ 0.2; 0.4 ]; [ 0.7; -0.1 ]; [ -0.3; 0.5 ] ], v [ 0.9; 0.5; 1.2 ])
    | "Independent" -> Dist.DiagonalNormal(v [ 0.0; 0.0; 0.5 ], v [ 1.0; 0.8; 1.6 ])
    | f -> sample f

/// Composite Simpson over [a, b] split at the breakpoints, 20,000 panels per piece.
let integrate (f: torch.Tensor -> torch.Tensor) (a: float) (b: float) (breaks: float list) =
    let cuts = a :: (breaks |> List.filter (fun x -> x > a && x < b) |> List.sort) @ [ b ]
    cuts |> List.pairwise |> List.sumBy (fun (lo, hi) ->
        let n = 20_000L
        let h = (hi - lo) / float n
        use x = torch.linspace(lo, hi, n + 1L, dtype = torch.ScalarType.Float64)
        let w = torch.ones(n + 1L, dtype = torch.ScalarType.Float64)
        w[torch.TensorIndex.Slice(1L, n, 2L)] <- torch.tensor 4.0
        w[torch.TensorIndex.Slice(2L, n - 1L, 2L)] <- torch.tensor 2.0
        (f x * w).sum().item<float>() * h / 3.0)

let univariate = set [ "Normal"; "Laplace"; "LogNormal"; "Gamma"; "Beta"; "Exponential"; "Uniform"; "HalfNormal" ]

/// KL(p || q) = integral of p (log p - log q). Positive supports are integrated in u = log x and (0, 1) in t = logit x,
/// so that the integrand is smooth and decays exponentially at both ends (Simpson then converges fast).
let quadrature (p: Distribution) (q: Distribution) =
    let density (x: torch.Tensor) = let lp = p.LogProb x in lp.exp() * (lp - q.LogProb x)
    let mean, sd = p.Mean.item<float>(), p.StdDev.item<float>()
    // A Laplace density has a kink at its location: split the integral there so Simpson stays high order.
    let kinks = [ p; q ] |> List.choose (function :? Laplace as l -> Some(l.Loc.item<float>()) | _ -> None)
    match p with
    | :? Uniform as u -> integrate density (u.Low.item<float>()) (u.High.item<float>()) []
    | :? Beta -> integrate (fun t -> let x = t.sigmoid() in density x * x * (1.0 - x)) -30.0 30.0 []
    | :? Laplace -> integrate density (mean - 60.0 * sd) (mean + 60.0 * sd) kinks
    | :? Normal -> integrate density (mean - 40.0 * sd) (mean + 40.0 * sd) kinks
    | _ -> integrate (fun u -> let x = u.exp() in density x * x) (log mean - 60.0) (log (mean + 80.0 * sd)) []

printfn "%-40s %14s %14s %12s  %s" "pair" "analytic" "check" "rel. error" "method"
for pair in KLDivergence.RegisteredPairs do
    use scope = torch.NewDisposeScope()
    let fp, fq = pair.P.Name, pair.Q.Name
    let p = sample fp
    let q = if fp = fq then other fq else sample fq
    let kl = KLDivergence.Analytic(p, q).sum().item<float>()
    if Double.IsPositiveInfinity kl then
        // Infinite KL: p must put mass where q has none. Count draws of p outside q's support.
        let x = p.Sample(int64 mcSamples)
        let outside =
            match q with
            | :? Uniform as u -> x.lt(u.Low).logical_or(x.gt(u.High))
            | :? Beta -> x.le(torch.tensor 0.0).logical_or(x.ge(torch.tensor 1.0))
            | _ -> x.le(torch.tensor 0.0)
        let share = outside.to_type(torch.ScalarType.Float64).mean().item<float>()
        printfn "%-40s %14s %14s %12s  %s" pair.Name "inf" (sprintf "%.3f" share) "-"
            "share of p's draws outside q's support (> 0 means inf)"
    else
        match p, q with
        | (:? Bernoulli | :? Categorical), _ ->
            let support = if p :? Bernoulli then v [ 0.0; 1.0 ] else torch.arange(4L, dtype = torch.ScalarType.Int64)
            let lp = p.LogProb support
            let check = (lp.exp() * (lp - q.LogProb support)).sum().item<float>()
            printfn "%-40s %14.10f %14.10f %12.2e  %s" pair.Name kl check (abs (kl - check) / abs check) "exact sum over the support"
        | _ when univariate.Contains fp && univariate.Contains fq ->
            let check = quadrature p q
            printfn "%-40s %14.10f %14.10f %12.2e  %s" pair.Name kl check (abs (kl - check) / abs check) "Simpson quadrature of p log(p/q)"
        | _ ->
            let mc = KLDivergence.MonteCarlo(p, q, mcSamples)
            let est, se = mc.Estimate.sum().item<float>(), mc.StandardError.square().sum().sqrt().item<float>()
            printfn "%-40s %14.10f %14.10f %12.2e  %s" pair.Name kl est (abs (kl - est) / abs est)
                (sprintf "Monte Carlo, %d draws, SE %.2e, |diff| = %.2f SE" mcSamples se (abs (kl - est) / se))
