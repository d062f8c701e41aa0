/// One test per validation rule: every bad parameter is an ArgumentException naming the distribution, the parameter,
/// the offending value and the valid range.
module BayesDL.Tests.Distributions.DistributionValidationTests

open System
open Xunit
open TorchSharp
open BayesDL.Distributions
open BayesDL.KL
open BayesDL.Engine
open BayesDL.Tests.TestSupport
open BayesDL.Tests.Distributions

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
      "LowRankMultivariateNormal", (fun () -> box (Dist.LowRankMultivariateNormal(v [ 0.0; 0.0 ],
                                                                                  m [ [ 1.0 ]; [ 0.0 ] ], v [ 1.0; -1.0 ]))),
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
      "MultivariateNormal", (fun () -> box (Dist.MultivariateNormal(v [ 0.0; 0.0 ], m [ [ 1.0; nan ]; [ nan; 1.0 ] ]))),
        [ "MultivariateNormal"; "'covariance'"; "NaN" ]
      "Dirichlet", (fun () -> box (Dist.Dirichlet(v [ 1.0; nan ]))), [ "Dirichlet"; "'concentration'"; "NaN" ] ]
    |> Seq.map (fun (name, build, fragments) -> [| box name; box build; box fragments |])

[<Theory>]
[<MemberData(nameof nans)>]
let ``a NaN parameter is rejected, never propagated`` (_case: string, build: unit -> obj, fragments: string list) =
    rejects build fragments

[<Fact>]
let ``a non-positive-definite covariance is rejected with the failing minor`` () =
    rejects (fun () -> box (Dist.MultivariateNormal(v [ 0.0; 0.0 ], m [ [ 1.0; 2.0 ]; [ 2.0; 1.0 ] ])))
        [ "MultivariateNormal"; "'covariance'"; "leading minor of order 2"; "positive-definite" ]
    rejects (fun () -> box (Dist.MultivariateNormal(v [ 0.0; 0.0 ], m [ [ 1.0; 0.5 ]; [ 0.4; 1.0 ] ])))
        [ "MultivariateNormal"; "symmetric" ]
    rejects (fun () -> box (Dist.MultivariateNormalTril(v [ 0.0; 0.0 ], m [ [ 1.0; 0.0 ]; [ 0.3; -1.0 ] ])))
        [ "MultivariateNormal"; "'scaleTril (diagonal)'"; "-1" ]
    rejects (fun () -> box (Dist.MultivariateNormalTril(v [ 0.0; 0.0 ], m [ [ 1.0; 0.2 ]; [ 0.3; 1.0 ] ])))
        [ "MultivariateNormal"; "lower triangular" ]

[<Fact>]
let ``incompatible batch shapes are rejected, naming the shapes`` () =
    rejects (fun () -> box (Dist.Normal(v [ 0.0; 1.0; 2.0 ], v [ 1.0; 1.0 ]))) [ "Normal"; "loc shape [3]"; "scale shape [2]"; "broadcast" ]
    rejects (fun () -> box (Dist.Gamma(v [ 1.0; 1.0; 2.0 ], v [ 1.0; 1.0 ]))) [ "Gamma"; "[3]"; "[2]" ]
    rejects (fun () -> box (Dist.MultivariateNormal(v [ 0.0; 0.0; 0.0 ], m [ [ 1.0; 0.0 ]; [ 0.0; 1.0 ] ])))
        [ "MultivariateNormal"; "[2, 2]"; "[..., 3, 3]" ]
    rejects (fun () -> box (Dist.LowRankMultivariateNormal(v [ 0.0; 0.0 ], m [ [ 1.0 ]; [ 0.0 ]; [ 1.0 ] ], v [ 1.0; 1.0 ])))
        [ "LowRankMultivariateNormal"; "'covFactor'"; "[3, 1]" ]
    rejects (fun () -> box (KLDivergence.Analytic(Dist.Laplace(v [ 0.0; 1.0 ], v [ 1.0; 1.0 ]),
                                                  Dist.Laplace(v [ 0.0; 1.0; 2.0 ], v [ 1.0; 1.0; 1.0 ])))) [ "KLDivergence"; "[3]"; "[2]" ]
    rejects (fun () -> box (KLDivergence.Analytic(Dist.Categorical(v [ 0.5; 0.5 ]), Dist.Categorical(v [ 0.2; 0.3; 0.5 ]))))
        [ "KLDivergence"; "3 categories"; "2" ]
    rejects (fun () -> box (Dist.Independent(Dist.Normal(v [ 0.0; 1.0 ], v [ 1.0; 1.0 ]), 2)))
        [ "Independent"; "'reinterpretedBatchDims'"; "2"; "[0, 1]" ]

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

[<Fact>]
let ``a covariance, scale_tril or low-rank factor of the wrong shape is rejected in BayesDL's words, naming both shapes`` () =
    let nonSquare = m [ [ 1.0; 0.0; 0.0 ]; [ 0.0; 1.0; 0.0 ] ]
    rejects (fun () -> box (Dist.MultivariateNormal(v [ 0.0; 0.0 ], nonSquare)))
        [ "MultivariateNormal"; "'covariance'"; "[2, 3]"; "square"; "2 x 3" ]
    // validate: false skips value checks, never shape checks: the engine would otherwise fail inside the Cholesky.
    rejects (fun () -> box (Dist.MultivariateNormal(v [ 0.0; 0.0 ], nonSquare, validate = false)))
        [ "MultivariateNormal"; "'covariance'"; "[2, 3]" ]
    rejects (fun () -> box (Dist.MultivariateNormal(v [ 0.0; 0.0 ], v [ 1.0; 1.0 ])))
        [ "MultivariateNormal"; "'covariance'"; "shape [2]"; "diag_embed" ]
    rejects (fun () -> box (Dist.MultivariateNormal(v [ 0.0; 0.0 ], m [ [ 1.0; 0.0; 0.0 ]; [ 0.0; 1.0; 0.0 ]; [ 0.0; 0.0; 1.0 ] ])))
        [ "MultivariateNormal"; "'covariance'"; "shape [3, 3] for loc shape [2]"; "[..., 2, 2]" ]
    rejects (fun () -> box (Dist.MultivariateNormalTril(v [ 0.0; 0.0 ], nonSquare)))
        [ "MultivariateNormal"; "'scaleTril'"; "[2, 3]"; "square" ]
    rejects (fun () -> box (Dist.LowRankMultivariateNormal(v [ 0.0; 0.0; 0.0 ],
                                                           m [ [ 1.0; 0.0; 1.0 ]; [ 0.0; 1.0; 0.0 ] ], v [ 1.0; 1.0; 1.0 ])))
        [ "LowRankMultivariateNormal"; "'covFactor'"; "[2, 3] for loc shape [3]"; "transposed" ]
    rejects (fun () -> box (Dist.LowRankMultivariateNormal(v [ 0.0; 0.0 ], m [ [ 1.0 ]; [ 0.0 ] ], v [ 1.0; 1.0; 1.0 ])))
        [ "LowRankMultivariateNormal"; "'covDiag'"; "[3] for loc shape [2]"; "[..., 2]" ]

let familyNames () : seq<obj[]> = Families.families |> Seq.map (fun f -> [| box f.Name |])

let private shapeText (s: int64 seq) = "[" + String.Join(", ", s) + "]"

[<Theory>]
[<MemberData(nameof familyNames)>]
let ``LogProb of a value whose shape does not fit the batch and event shapes names both shapes and the fix`` (name: string) =
    engine ()
    NativeEngine.Seed 8L
    use scope = torch.NewDisposeScope()
    let f = Families.family name
    let d = Families.makeBatch f cpu64 [| 3L |] (Families.draw f.Moderate 5 3)
    // Draws of the distribution (so in the support) with the batch dimension cut from 3 to 2: [1, 2] ++ event.
    let value = d.Sample(1L).narrow(1L, 0L, 2L)
    let e = Assert.Throws<ArgumentException>(fun () -> d.LogProb value |> ignore)
    for fragment in [ d.Name; "'value'"; "shape " + shapeText value.shape; "batch shape [3]";
                      "event shape " + shapeText d.EventShape; "Sample(n)" ] do
        Assert.Contains(fragment, e.Message)
    if d.EventShape.Length > 0 then
        // An event of the wrong size: [1, 3] ++ (k - 1) for event (k).
        let cut = d.Sample(1L).narrow(-1L, 0L, d.EventShape[0] - 1L)
        let e = Assert.Throws<ArgumentException>(fun () -> d.LogProb cut |> ignore)
        for fragment in [ d.Name; "'value'"; "shape " + shapeText cut.shape; "event shape " + shapeText d.EventShape ] do
            Assert.Contains(fragment, e.Message)
    // A value that does broadcast is accepted: draws [5, 3] ++ event with a dimension of 1 inserted, [5, 1, 3] ++ event,
    // have the log-density shape [5, 1, 3].
    let broadcasting = d.Sample(5L).unsqueeze(1L)
    Assert.Equal<int64[]>([| 5L; 1L; 3L |], (d.LogProb broadcasting).shape)

[<Fact>]
let ``parameters and values of different ranks broadcast aligned on the right, as in NumPy`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    let loc = cpu64.Tensor([| 0.0; 1.0; 2.0; 3.0; 4.0; 5.0 |], 2L, 3L)
    Assert.Equal<int64[]>([| 2L; 3L |], Dist.Normal(loc, v [ 1.0; 2.0; 3.0 ]).BatchShape)
    Assert.Equal<int64[]>([| 2L; 3L |], Dist.Gamma(v [ 1.0; 2.0; 3.0 ], loc + 1.0).BatchShape)
    // (3) against (3, 2) does not broadcast (the trailing 3 and 2 differ), whatever the leading dimension.
    rejects (fun () -> box (Dist.Normal(v [ 0.0; 1.0; 2.0 ], cpu64.Tensor(Array.create 6 1.0, 3L, 2L))))
        [ "Normal"; "loc shape [3]"; "scale shape [3, 2]" ]
    // Values with more dimensions than the batch: [5, 1] against batch (3) is [5, 3].
    let u = Dist.Uniform(v [ 0.0; 0.0; 0.0 ], v [ 1.0; 2.0; 3.0 ])
    Assert.Equal<int64[]>([| 5L; 3L |], (u.LogProb(cpu64.Tensor(Array.create 5 0.5, 5L, 1L))).shape)
    let c = Dist.Categorical(cpu64.Tensor([| 0.2; 0.8; 0.5; 0.5; 0.9; 0.1 |], 3L, 2L))
    Assert.Equal<int64[]>([| 5L; 3L |], (c.LogProb(torch.zeros([| 5L; 1L |], dtype = torch.ScalarType.Int64))).shape)

[<Fact>]
let ``WithoutValidation skips the checks until disposed, nests, and leaves them on afterwards`` () =
    engine ()
    let invalid () = Dist.Normal(torch.tensor 0.0, torch.tensor -1.0)
    Assert.Throws<ArgumentException>(fun () -> invalid () |> ignore) |> ignore
    let outer = Distribution.WithoutValidation()
    let inner = Distribution.WithoutValidation()
    let unchecked = invalid ()
    Assert.False(unchecked.Validate)
    Assert.True(Double.IsNaN(unchecked.LogProb(torch.tensor 0.5).item<float>())) // the price: NaN instead of an error
    inner.Dispose()
    inner.Dispose() // a second dispose does not release the outer scope
    Assert.False((invalid ()).Validate)
    outer.Dispose()
    Assert.Throws<ArgumentException>(fun () -> invalid () |> ignore) |> ignore
    Assert.True((Dist.Normal(torch.tensor 0.0, torch.tensor 1.0)).Validate)
