/// One test per validation rule: every bad parameter is an ArgumentException naming the distribution, the parameter,
/// the offending value and the valid range.
module BayesDL.Tests.Distributions.DistributionValidationTests

open System
open Xunit
open TorchSharp
open BayesDL.Distributions
open BayesDL.KL
open BayesDL.Tests.TestSupport

let private sc (x: float) = cpu64.Scalar x
let private v (xs: float list) = cpu64.Tensor(Array.ofList xs, int64 xs.Length)
let private m (rows: float list list) = cpu64.Tensor(List.concat rows |> Array.ofList, int64 rows.Length, int64 rows.Head.Length)

let private rejects (build: unit -> obj) (fragments: string list) =
    engine ()
    use scope = torch.NewDisposeScope()
    let e = Assert.Throws<ArgumentException>(fun () -> build () |> ignore)
    for f in fragments do Assert.Contains(f, e.Message)

/// (case, constructor with one non-positive scale-like parameter, expected message fragments)
let nonPositive () : seq<obj[]> =
    [ "Normal", (fun () -> box (Dist.Normal(sc 0.0, sc -1.0))), [ "Normal"; "'scale'"; "-1"; "> 0" ]
      "Laplace", (fun () -> box (Dist.Laplace(sc 0.0, sc 0.0))), [ "Laplace"; "'scale'"; "found 0"; "> 0" ]
      "LogNormal", (fun () -> box (Dist.LogNormal(sc 0.0, sc -2.5))), [ "LogNormal"; "'scale'"; "-2.5" ]
      "Gamma", (fun () -> box (Dist.Gamma(sc -1.0, sc 1.0))), [ "Gamma"; "'concentration'"; "-1" ]
      "Gamma rate", (fun () -> box (Dist.Gamma(sc 1.0, v [ 1.0; 0.0 ]))), [ "Gamma"; "'rate'"; "index [1]" ]
      "Beta", (fun () -> box (Dist.Beta(sc 1.0, sc -0.5))), [ "Beta"; "'beta'"; "-0.5" ]
      "Exponential", (fun () -> box (Dist.Exponential(sc 0.0))), [ "Exponential"; "'rate'"; "found 0" ]
      "Uniform", (fun () -> box (Dist.Uniform(sc 1.0, sc 1.0))), [ "Uniform"; "'high - low'"; "> 0" ]
      "StudentT", (fun () -> box (Dist.StudentT(sc -3.0, sc 0.0, sc 1.0))), [ "StudentT"; "'df'"; "-3" ]
      "HalfNormal", (fun () -> box (Dist.HalfNormal(sc -1e-4))), [ "HalfNormal"; "'scale'"; "-0.0001" ]
      "HalfCauchy", (fun () -> box (Dist.HalfCauchy(sc 0.0))), [ "HalfCauchy"; "'scale'" ]
      "Dirichlet", (fun () -> box (Dist.Dirichlet(v [ 1.0; 0.0; 2.0 ]))), [ "Dirichlet"; "'concentration'"; "index [1]" ]
      "ScaleMixtureNormal", (fun () -> box (Dist.ScaleMixtureNormal(sc 0.5, sc 1.0, sc -0.1))), [ "ScaleMixtureNormal"; "'sigma2'"; "-0.1" ]
      "RelaxedBernoulli", (fun () -> box (Dist.RelaxedBernoulli(sc 0.0, sc 0.5))), [ "RelaxedBernoulli"; "'temperature'" ]
      "LowRankMultivariateNormal", (fun () -> box (Dist.LowRankMultivariateNormal(v [ 0.0; 0.0 ], m [ [ 1.0 ]; [ 0.0 ] ], v [ 1.0; -1.0 ]))),
        [ "LowRankMultivariateNormal"; "'covDiag'"; "-1" ] ]
    |> Seq.map (fun (name, build, fragments) -> [| box name; box build; box fragments |])

[<Theory>]
[<MemberData(nameof nonPositive)>]
let ``a non-positive scale, rate, concentration or temperature is rejected`` (_case: string, build: unit -> obj, fragments: string list) =
    rejects build fragments

let probabilities () : seq<obj[]> =
    [ "Bernoulli above 1", (fun () -> box (Dist.Bernoulli(sc 1.5))), [ "Bernoulli"; "'probs'"; "1.5"; "in [0, 1]" ]
      "Bernoulli below 0", (fun () -> box (Dist.Bernoulli(v [ 0.5; -1e-3 ]))), [ "Bernoulli"; "-0.001"; "index [1]" ]
      "Categorical", (fun () -> box (Dist.Categorical(v [ 0.5; 1.2 ]))), [ "Categorical"; "'probs'"; "1.2"; "in [0, 1]" ]
      "ScaleMixtureNormal", (fun () -> box (Dist.ScaleMixtureNormal(sc 2.0, sc 1.0, sc 0.1))), [ "ScaleMixtureNormal"; "'pi'"; "in [0, 1]" ]
      "RelaxedBernoulli", (fun () -> box (Dist.RelaxedBernoulli(sc 0.5, sc -0.2))), [ "RelaxedBernoulli"; "'probs'"; "-0.2" ] ]
    |> Seq.map (fun (name, build, fragments) -> [| box name; box build; box fragments |])

[<Theory>]
[<MemberData(nameof probabilities)>]
let ``a probability outside [0, 1] is rejected`` (_case: string, build: unit -> obj, fragments: string list) =
    rejects build fragments

let nans () : seq<obj[]> =
    [ "Normal", (fun () -> box (Dist.Normal(sc nan, sc 1.0))), [ "Normal"; "'loc'"; "NaN"; "finite" ]
      "Normal scale", (fun () -> box (Dist.Normal(sc 0.0, sc nan))), [ "Normal"; "'scale'"; "NaN" ]
      "Laplace", (fun () -> box (Dist.Laplace(v [ 0.0; nan ], sc 1.0))), [ "Laplace"; "'loc'"; "NaN"; "index [1]" ]
      "Gamma", (fun () -> box (Dist.Gamma(sc nan, sc 1.0))), [ "Gamma"; "'concentration'"; "NaN" ]
      "Beta", (fun () -> box (Dist.Beta(sc 1.0, sc nan))), [ "Beta"; "'beta'"; "NaN" ]
      "Bernoulli", (fun () -> box (Dist.Bernoulli(sc nan))), [ "Bernoulli"; "'probs'"; "NaN" ]
      "Bernoulli logits", (fun () -> box (Dist.BernoulliLogits(sc nan))), [ "Bernoulli"; "'logits'"; "NaN" ]
      "Categorical logits", (fun () -> box (Dist.CategoricalLogits(v [ 0.0; nan ]))), [ "Categorical"; "'logits'"; "NaN" ]
      "Uniform", (fun () -> box (Dist.Uniform(sc nan, sc 1.0))), [ "Uniform"; "'low'"; "NaN" ]
      "StudentT", (fun () -> box (Dist.StudentT(sc 3.0, sc nan, sc 1.0))), [ "StudentT"; "'loc'"; "NaN" ]
      "MultivariateNormal", (fun () -> box (Dist.MultivariateNormal(v [ 0.0; 0.0 ], m [ [ 1.0; nan ]; [ nan; 1.0 ] ]))), [ "MultivariateNormal"; "'covariance'"; "NaN" ]
      "Dirichlet", (fun () -> box (Dist.Dirichlet(v [ 1.0; nan ]))), [ "Dirichlet"; "'concentration'"; "NaN" ] ]
    |> Seq.map (fun (name, build, fragments) -> [| box name; box build; box fragments |])

[<Theory>]
[<MemberData(nameof nans)>]
let ``a NaN parameter is rejected, never propagated`` (_case: string, build: unit -> obj, fragments: string list) =
    rejects build fragments

[<Fact>]
let ``a non-positive-definite covariance is rejected with the failing minor`` () =
    rejects (fun () -> box (Dist.MultivariateNormal(v [ 0.0; 0.0 ], m [ [ 1.0; 2.0 ]; [ 2.0; 1.0 ] ]))) [ "MultivariateNormal"; "'covariance'"; "leading minor of order 2"; "positive-definite" ]
    rejects (fun () -> box (Dist.MultivariateNormal(v [ 0.0; 0.0 ], m [ [ 1.0; 0.5 ]; [ 0.4; 1.0 ] ]))) [ "MultivariateNormal"; "symmetric" ]
    rejects (fun () -> box (Dist.MultivariateNormalTril(v [ 0.0; 0.0 ], m [ [ 1.0; 0.0 ]; [ 0.3; -1.0 ] ]))) [ "MultivariateNormal"; "'scaleTril (diagonal)'"; "-1" ]
    rejects (fun () -> box (Dist.MultivariateNormalTril(v [ 0.0; 0.0 ], m [ [ 1.0; 0.2 ]; [ 0.3; 1.0 ] ]))) [ "MultivariateNormal"; "lower triangular" ]

[<Fact>]
let ``incompatible batch shapes are rejected, naming the shapes`` () =
    rejects (fun () -> box (Dist.Normal(v [ 0.0; 1.0; 2.0 ], v [ 1.0; 1.0 ]))) [ "Normal"; "loc shape (3)"; "scale shape (2)"; "broadcast" ]
    rejects (fun () -> box (Dist.Gamma(v [ 1.0; 1.0; 2.0 ], v [ 1.0; 1.0 ]))) [ "Gamma"; "(3)"; "(2)" ]
    rejects (fun () -> box (Dist.MultivariateNormal(v [ 0.0; 0.0; 0.0 ], m [ [ 1.0; 0.0 ]; [ 0.0; 1.0 ] ]))) [ "MultivariateNormal"; "(2, 2)"; "[..., 3, 3]" ]
    rejects (fun () -> box (Dist.LowRankMultivariateNormal(v [ 0.0; 0.0 ], m [ [ 1.0 ]; [ 0.0 ]; [ 1.0 ] ], v [ 1.0; 1.0 ]))) [ "LowRankMultivariateNormal"; "'covFactor'"; "(3, 1)" ]
    rejects (fun () -> box (KLDivergence.Analytic(Dist.Laplace(v [ 0.0; 1.0 ], v [ 1.0; 1.0 ]), Dist.Laplace(v [ 0.0; 1.0; 2.0 ], v [ 1.0; 1.0; 1.0 ])))) [ "KLDivergence"; "(3)"; "(2)" ]
    rejects (fun () -> box (KLDivergence.Analytic(Dist.Categorical(v [ 0.5; 0.5 ]), Dist.Categorical(v [ 0.2; 0.3; 0.5 ])))) [ "KLDivergence"; "3 categories"; "2" ]
    rejects (fun () -> box (Dist.Independent(Dist.Normal(v [ 0.0; 1.0 ], v [ 1.0; 1.0 ]), 2))) [ "Independent"; "'reinterpretedBatchDims'"; "2"; "[0, 1]" ]

[<Fact>]
let ``values outside the support are rejected by LogProb`` () =
    rejects (fun () -> box (Dist.Gamma(2.0, 1.0, cpu64).LogProb(v [ 1.0; -1.0 ]))) [ "Gamma"; "'value'"; "-1"; "index [1]" ]
    rejects (fun () -> box (Dist.Beta(2.0, 2.0, cpu64).LogProb(sc 1.0))) [ "Beta"; "'value'"; "(0, 1)" ]
    rejects (fun () -> box (Dist.Bernoulli(0.3, cpu64).LogProb(sc 0.5))) [ "Bernoulli"; "'value'"; "0.5"; "0 or 1" ]
    rejects (fun () -> box (Dist.Categorical(v [ 0.5; 0.5 ]).LogProb(torch.tensor(2L)))) [ "Categorical"; "'value'"; "[0, 1]" ]
    rejects (fun () -> box (Dist.Uniform(0.0, 1.0, cpu64).LogProb(sc 1.5))) [ "Uniform"; "'value'"; "1.5" ]
    rejects (fun () -> box (Dist.Exponential(1.0, cpu64).LogProb(sc -0.1))) [ "Exponential"; "'value'"; "-0.1" ]
    rejects (fun () -> box (Dist.Dirichlet(v [ 1.0; 1.0 ]).LogProb(v [ 0.5; 0.6 ]))) [ "Dirichlet"; "1 within" ]
    rejects (fun () -> box (Dist.Normal(0.0, 1.0, cpu64).LogProb(sc nan))) [ "Normal"; "'value'"; "NaN" ]
