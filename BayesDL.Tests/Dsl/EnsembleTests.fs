/// Deep ensembles declared from F# (`model { ... } |> Ensemble.fit (ensemble { ... })`) and from C#
/// (`ModelBuilder.Sequential()....FitEnsemble(...)`): the same members, trained identically, and clear declaration errors.
module BayesDL.Tests.Dsl.EnsembleTests

open Xunit
open BayesDL.Builders
open BayesDL.Dsl
open BayesDL.Engine
open BayesDL.Tests.TestSupport
open TorchSharp

let private orFail r = r |> Result.defaultWith (fun (e: BayesError) -> failwith e.Message)

let private regression () =
    NativeEngine.Seed 12L
    let x = torch.rand(32L, 1L, dtype = torch.ScalarType.Float64) * 4.0 - 2.0
    let y = torch.sin x + 0.1 * torch.randn_like x
    new BayesDL.Data.LabeledData(x, y)

[<Fact>]
let ``an ensemble declared in F# and in C# trains identical members with the same seed`` () =
    engine ()
    use data = regression ()
    let csharp =
        ModelBuilder.Sequential().Linear(1L, 16L).Relu().Linear(16L, 2L).WithLikelihood(Likelihoods.Heteroscedastic())
            .FitEnsemble(data, EnsembleFitOptions(Members = 3, Epochs = 30, BatchSize = 16, LearningRate = 0.01, Seed = 5L), cpu64)
    let fsharp =
        model { network (linear 1L 16L >> Activation.relu >> linear 16L 2L); likelihood heteroscedastic }
        |> Ensemble.fit (ensemble { members 3; epochs 30; batchSize 16; learningRate 0.01; seed 5L }) cpu64 data
        |> orFail
    Assert.Equal<float list list>(csharp.MemberLosses |> Seq.map List.ofSeq |> List.ofSeq, fsharp.MemberLosses)
    use a = csharp.Ensemble.Predict(data.Inputs)
    use b = fsharp.Predict(data.Inputs)
    Assert.Equal<float[]>(values a.Samples, values b.Samples)
    // Every member learned (its NLL fell), and differently seeded members disagree: the epistemic variance is positive.
    Assert.All(fsharp.MemberLosses, fun l -> Assert.True(List.last l < List.head l, sprintf "%A" l))
    Assert.True(scalar (b.EpistemicVariance().mean()) > 0.0)
    Assert.Equal(3L, b.SampleCount)

[<Fact>]
let ``an ensemble with a learned homoscedastic sigma is a LikelihoodMismatch, a Bayesian layer is UnsupportedFamily`` () =
    match model { network (linear 1L 8L >> Activation.relu >> linear 8L 1L);
                  likelihood gaussian } |> Ensemble.validate (ensemble { members 2 }) with
    | Error(LikelihoodMismatch(layer, message)) ->
        Assert.Equal("Linear(8 -> 1)", layer)
        Assert.Contains("Gaussian(learned sigma)", message)
        Assert.Contains("heteroscedastic", message)
    | other -> failwithf "expected LikelihoodMismatch, got %A" other
    let errors = ModelBuilder.Sequential().BayesLinear(1L, 8L).Relu().Linear(8L, 2L)
                     .WithLikelihood(Likelihoods.Heteroscedastic()).ValidateEnsemble()
    let e = Assert.Single errors
    Assert.Equal(BuildErrorKind.UnsupportedFamily, e.Kind)
    Assert.Contains("layer 0 'BayesLinear(1 -> 8)' is Bayesian", e.Message)
    match model { network (linear 1L 2L); likelihood heteroscedastic } |> Ensemble.validate (ensemble { members 0 }) with
    | Error(InvalidParameter(_, message)) ->
        Assert.Contains("EnsembleFitOptions: parameter 'Members' must be a positive integer; found 0. Use a few members", message)
    | other -> failwithf "expected InvalidParameter, got %A" other

[<Fact>]
let ``adversarial ensemble training scores NLL at x plus NLL at the fast-gradient-sign inputs, the same from F# and C#`` () =
    engine ()
    use data = regression ()
    let declared () = ModelBuilder.Sequential().Linear(1L, 16L).Relu().Linear(16L, 2L).WithLikelihood(Likelihoods.Heteroscedastic())
    // One member, one epoch of one full batch: the recorded loss is the objective at the initial weights, before any step.
    let options = EnsembleFitOptions(Members = 1, Epochs = 1, BatchSize = 32, LearningRate = 0.01, Seed = 5L, AdversarialEpsilon = 0.05)
    let fitted = declared().FitEnsemble(data, options, cpu64)
    let fresh = declared().BuildEnsemble(1, 5L, cpu64)
    use expected = BayesDL.Objectives.AdversarialObjective(0.05, fresh.Likelihood).Loss(fresh.Members[0], data.Inputs, data.Targets)
    use clean = fresh.Likelihood.LogLikelihood(fresh.Members[0].forward data.Inputs, data.Targets).mean().neg()
    Assert.Equal(scalar expected, Seq.head (Seq.head fitted.MemberLosses), 9)
    Assert.NotEqual(scalar clean, Seq.head (Seq.head fitted.MemberLosses))
    let fsharp =
        model { network (linear 1L 16L >> Activation.relu >> linear 16L 2L); likelihood heteroscedastic }
        |> Ensemble.fit (ensemble { members 1; epochs 1; batchSize 32; learningRate 0.01; seed 5L; adversarial 0.05 }) cpu64 data
        |> orFail
    Assert.Equal<float list list>(fitted.MemberLosses |> Seq.map List.ofSeq |> List.ofSeq, fsharp.MemberLosses)
    match model { network (linear 1L 2L); likelihood heteroscedastic } |> Ensemble.validate (ensemble { adversarial -0.1 }) with
    | Error(InvalidParameter(_, message)) -> Assert.Contains("'AdversarialEpsilon' must be >= 0", message)
    | other -> failwithf "expected InvalidParameter, got %A" other
