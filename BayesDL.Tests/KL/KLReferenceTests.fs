/// Every closed-form KL (same-family and cross-family pairs) against 80-digit references (mpmath) at extreme but valid
/// parameters (concentrations 1e-3..1e6, scales and rates 1e-6..1e6) and for nearly equal pairs (parameters 1e-8..1e-4
/// apart, Bernoulli and Categorical from probabilities and from logits, and one side from each; for cross pairs, q nearly
/// matching p's moments): relative error at most 1e-9 (mixed parameterisations: the float64 limit below) and never
/// negative. The references are computed once by Fixtures/make-kl-references.py into Fixtures/kl-references.csv; this
/// test reads the file and needs no Python.
module BayesDL.Tests.KL.KLReferenceTests

open System
open System.Globalization
open System.IO
open Xunit
open TorchSharp
open BayesDL.Distributions
open BayesDL.KL
open BayesDL.Tests.TestSupport

/// One fixture row: the pair, p's and q's float64 parameters, and the reference KL(p || q).
type Case = { Pair: string; P: float[]; Q: float[]; KL: float }

let private floats (s: string) =
    s.Split(' ', StringSplitOptions.RemoveEmptyEntries) |> Array.map (fun v -> Double.Parse(v, CultureInfo.InvariantCulture))

let cases =
    lazy
        (File.ReadAllLines(Path.Combine(repoRoot, "BayesDL.Tests", "KL", "Fixtures", "kl-references.csv"))
         |> Array.skip 1
         |> Array.map (fun line ->
             let c = line.Split ','
             { Pair = c[0]; P = floats c[1]; Q = floats c[2]; KL = Double.Parse(c[3], CultureInfo.InvariantCulture) }))

let pairs () : seq<obj[]> = cases.Force() |> Seq.map (fun c -> c.Pair) |> Seq.distinct |> Seq.map (fun p -> [| box p |])

/// All rows' parameters as one batch: column j of the rows as a tensor of shape [n] (or [n, width] from column j on).
let private column (rows: float[][]) j = cpu64.Tensor(rows |> Array.map (fun r -> r[j]), int64 rows.Length)
let private block (rows: float[][]) j width =
    cpu64.Tensor(rows |> Array.collect (fun r -> r[j .. j + width - 1]), int64 rows.Length, int64 width)

/// Builds the batched distribution of one side of a pair from the rows' parameters (layouts as in the script).
let private build (family: string) (rows: float[][]) : Distribution =
    let col = column rows
    match family with
    | "Normal" -> Dist.Normal(col 0, col 1)
    | "Laplace" -> Dist.Laplace(col 0, col 1)
    | "Exponential" -> Dist.Exponential(col 0)
    | "HalfNormal" -> Dist.HalfNormal(col 0)
    | "Gamma" -> Dist.Gamma(col 0, col 1)
    | "Beta" -> Dist.Beta(col 0, col 1)
    | "Dirichlet" -> Dist.Dirichlet(block rows 0 3)
    | "Bernoulli" -> Dist.Bernoulli(col 0)
    | "BernoulliLogits" -> Dist.BernoulliLogits(col 0)
    | "Categorical" -> Dist.Categorical(block rows 0 4)
    | "CategoricalLogits" -> Dist.CategoricalLogits(block rows 0 4)
    | "Uniform" -> Dist.Uniform(col 0, col 1)
    | "MultivariateNormal" -> Dist.MultivariateNormalTril(block rows 0 3, (block rows 3 9).reshape(int64 rows.Length, 3L, 3L))
    | other -> failwithf "no builder for %s" other

/// The float64 limit of a pair whose sides use different parameterisations (probabilities against logits): no exact
/// difference of parameters exists, so each log-ratio log(p_k/q_k) carries an absolute error delta of a few eps times
/// (1 + |log p_k| + |log q_k|); with KL ~ sum_k q_k x_k^2 / 2, the KL's error sum_k q_k x_k delta is at most
/// delta sqrt(2 KL) (Cauchy-Schwarz), a relative error delta sqrt(2 / KL). Every other pair is held to 1e-9.
let private mixedTolerance (pair: string) (c: Case) =
    let families = pair.Split('-')
    if families[0].EndsWith "Logits" = families[1].EndsWith "Logits" then 1e-9
    else
        let logs (family: string) (v: float[]) =
            match family with
            | "Bernoulli" -> [| log v[0]; log (1.0 - v[0]) |]
            | "BernoulliLogits" -> [| -(log (1.0 + exp -v[0])); -(log (1.0 + exp v[0])) |]
            | "Categorical" -> let s = Array.sum v in v |> Array.map (fun a -> log (a / s))
            | _ -> let m = Array.max v in let l = m + log (v |> Array.sumBy (fun z -> exp (z - m))) in v |> Array.map (fun z -> z - l)
        let worst = (logs families[0] c.P |> Array.map abs |> Array.max) + (logs families[1] c.Q |> Array.map abs |> Array.max)
        let delta = 4.0 * 2.220446049250313e-16 * (1.0 + worst)
        max 1e-9 (delta * sqrt (2.0 / c.KL))

[<Theory>]
[<MemberData(nameof pairs)>]
let ``analytic KL is within 1e-9 relative of the 80-digit reference at extreme and nearly equal parameters (mixed: float64's limit)``
        (pair: string) =
    engine ()
    use scope = torch.NewDisposeScope()
    let rows = cases.Force() |> Array.filter (fun c -> c.Pair = pair)
    let families = pair.Split('-')
    let p = build families[0] (rows |> Array.map (fun c -> c.P))
    let q = build families[1] (rows |> Array.map (fun c -> c.Q))
    let ours = values (KLDivergence.Analytic(p, q))
    let failures =
        [ for i, c in Array.indexed rows do
            let err = abs (ours[i] - c.KL) / c.KL
            let tolerance = mixedTolerance pair c
            if not (err <= tolerance && ours[i] >= 0.0) then
                yield
                    sprintf "p %A q %A: ours %.17g, reference %.17g (relative error %.2g, tolerance %.2g)"
                        c.P c.Q ours[i] c.KL err tolerance ]
    let report = String.Join("\n", failures)
    let summary = sprintf "%s: %d of %d cases off by more than their tolerance" pair failures.Length rows.Length
    Assert.True(List.isEmpty failures, summary + ":\n" + report)
