/// MC dropout training from the builder (BuiltModel.FitMCDropout, MCDropoutFitOptions): the recipe's α-divergence and
/// length-scale prior are what the fit minimises; without them the fit is the plain dropout fit step for step; bad
/// settings and models outside the dropout family are refused naming the parameter.
module BayesDL.Tests.Builders.MCDropoutFitTests

open System
open Xunit
open BayesDL.Builders
open BayesDL.Data
open BayesDL.Engine
open BayesDL.Layers
open BayesDL.Objectives
open BayesDL.Tests.TestSupport
open TorchSharp

let private rows = 24L

/// 24 rows of 4 features with class labels in {0, 1, 2}, or a 1-D regression target.
let private data (regression: bool) =
    use g = new torch.Generator(31UL)
    let x = torch.rand([| rows; 4L |], generator = g, dtype = torch.ScalarType.Float64)
    let y =
        if regression then torch.randn([| rows; 1L |], generator = g, dtype = torch.ScalarType.Float64)
        else torch.randint(3L, [| rows |], generator = g)
    new LabeledData(x, y)

let private declaration (regression: bool) =
    ModelBuilder.Sequential().Linear(4L, 16L).Relu().Linear(16L, (if regression then 1L else 3L))
        .WithLikelihood(if regression then Likelihoods.GaussianLearned(0.5) else Likelihoods.Categorical())
        .WithVariational(VariationalFamily.Dropout(0.3))

/// The declared model with the weights seed 5 gives (the same weights on every call).
let private build (b: SequentialBuilder) =
    NativeEngine.Seed 5L
    b.Build cpu64

let private parameters (m: BuiltModel) = m.Network.parameters() |> Seq.map values |> Array.ofSeq

[<Theory>]
[<InlineData(false)>]
[<InlineData(true)>]
let ``with alpha and a length-scale the recorded loss is the alpha-divergence plus the prior term on the same batch and masks``
        (regression: bool) =
    engine ()
    use d = data regression
    let seed = 7L
    // One epoch of one full batch: the recorded mean loss is the objective at the initial weights, before the step.
    let options = MCDropoutFitOptions(Epochs = 1, BatchSize = int rows, LearningRate = 0.01, Seed = seed,
                                      LengthScale = 1.5, Alpha = 0.5, TrainingMasks = 10)
    use fitted = build (declaration regression)
    let report = fitted.FitMCDropout(d, options) |> Seq.exactlyOne
    // Independently: a fresh copy of the initial model, the engine seeded as the trainer seeds it, and the trainer's
    // shuffled batch (a permutation from a generator seeded with seed * 1000003 + epoch), so the masks fall on the same rows.
    use fresh = build (declaration regression)
    use shuffler = new torch.Generator(uint64 (seed * 1_000_003L + 1L))
    use order = torch.randperm(rows, generator = shuffler)
    use x = d.Inputs.index_select(0L, order)
    use y = d.Targets.index_select(0L, order)
    fresh.Network.train()
    NativeEngine.Seed seed
    use alphaLoss = AlphaDivergenceObjective(0.5, 10, fresh.Network.Likelihood).Loss(fresh.Network, x, y)
    use penalty = MCDropoutPrior(1.5, rows).Regularizer(fresh.Network)
    let expected = scalar alphaLoss + scalar penalty
    Assert.Equal(expected, report.MeanLoss, 10)
    // Non-vacuous: the prior term is a visible part of the loss, so dropping it (or the α term) fails the equality.
    Assert.True(scalar penalty > 1e-3, sprintf "prior term %g" (scalar penalty))
    Assert.Equal(-expected * float rows, report.Elbo, 8)
    // The reported KL is N times the prior term at the trained weights: Σ_i l² (1 - p_i) ‖W_i‖² / 2.
    use trainedPenalty = MCDropoutPrior(1.5, rows).Regularizer(fitted.Network)
    Assert.Equal(scalar trainedPenalty * float rows, report.KL, 10)

[<Fact>]
let ``without a length-scale and alpha the dropout fit is the plain fit weight for weight`` () =
    engine ()
    use d = data false
    use plain = build (declaration false)
    let initial = parameters plain
    let plainReports = plain.Fit(d, VariationalFitOptions(Epochs = 2, BatchSize = 8, LearningRate = 0.01, Seed = 3L))
    use dropout = build (declaration false)
    let dropoutReports = dropout.FitMCDropout(d, MCDropoutFitOptions(Epochs = 2, BatchSize = 8, LearningRate = 0.01, Seed = 3L))
    Assert.Equal<float[][]>(parameters plain, parameters dropout)
    Assert.Equal<float list>(plainReports |> Seq.map (fun r -> r.MeanLoss) |> List.ofSeq,
                             dropoutReports |> Seq.map (fun r -> r.MeanLoss) |> List.ofSeq)
    Assert.All(dropoutReports, fun r -> Assert.Equal(0.0, r.KL))
    // Training moved the weights, so the equality is not that of two untouched models; and the prior changes the run.
    Assert.NotEqual<float[][]>(initial, parameters dropout)
    use withPrior = build (declaration false)
    withPrior.FitMCDropout(d, MCDropoutFitOptions(Epochs = 2, BatchSize = 8, LearningRate = 0.01, Seed = 3L, LengthScale = 1.5)) |> ignore
    Assert.NotEqual<float[][]>(parameters dropout, parameters withPrior)

[<Fact>]
let ``bad MC dropout settings are ArgumentExceptions naming the parameter and the value`` () =
    let cases =
        [ MCDropoutFitOptions(Alpha = 0.0), "Alpha", "found 0"
          MCDropoutFitOptions(Alpha = nan), "Alpha", "found NaN"
          MCDropoutFitOptions(LengthScale = -1.5), "LengthScale", "found -1.5"
          MCDropoutFitOptions(TrainingMasks = 0), "TrainingMasks", "found 0"
          MCDropoutFitOptions(Epochs = 0), "Epochs", "found 0"
          MCDropoutFitOptions(BatchSize = -2), "BatchSize", "found -2"
          MCDropoutFitOptions(LearningRate = -0.001), "LearningRate", "found -0.001" ]
    for options, parameter, found in cases do
        let e = Assert.Throws<ArgumentException>(fun () -> options.Validate())
        Assert.Equal(parameter, e.ParamName)
        Assert.Contains($"MCDropoutFitOptions: parameter '{parameter}'", e.Message)
        Assert.Contains(found, e.Message)
    // The builder checks the settings before it builds or trains anything.
    engine ()
    use d = data false
    let e = Assert.Throws<BuildException>(fun () -> declaration(false).FitMCDropout(d, MCDropoutFitOptions(Alpha = -0.5), cpu64) |> ignore)
    let error = Assert.Single e.Errors
    Assert.Equal(BuildErrorKind.InvalidParameter, error.Kind)
    Assert.Contains("MCDropoutFitOptions: parameter 'Alpha'", error.Message)

[<Fact>]
let ``a model outside the dropout family is refused; MC-dropout layers without Bayesian layers are accepted`` () =
    engine ()
    use d = data false
    use bayesian = ModelBuilder.Sequential().BayesLinear(4L, 3L).WithLikelihood(Likelihoods.Categorical()).Build cpu64
    let e = Assert.Throws<BuildException>(fun () -> bayesian.FitMCDropout(d) |> ignore)
    Assert.Equal(BuildErrorKind.UnsupportedFamily, (Assert.Single e.Errors).Kind)
    Assert.Contains("MeanField, has 1 variational", e.Message)
    Assert.Contains("VariationalFamily.Dropout(p)", e.Message)
    let concrete = ModelBuilder.Sequential().Linear(4L, 3L).WithLikelihood(Likelihoods.Categorical())
                       .WithVariational(VariationalFamily.ConcreteDropout)
    let e2 = Assert.Throws<BuildException>(fun () -> concrete.FitMCDropout(d, policy = cpu64) |> ignore)
    Assert.Equal(BuildErrorKind.UnsupportedFamily, (Assert.Single e2.Errors).Kind)
    // The benchmark's layout: explicit MC dropout before the hidden weight layer, none on the inputs.
    let explicitLayers = ModelBuilder.Sequential().Linear(4L, 16L).Relu().MCDropout(0.5).Linear(16L, 3L)
                             .WithLikelihood(Likelihoods.Categorical())
    let fit = explicitLayers.FitMCDropout(d, MCDropoutFitOptions(Epochs = 1, BatchSize = 8, LengthScale = 1.0,
                                                                 Alpha = 0.5, TrainingMasks = 2), cpu64)
    use _ = fit.Model
    Assert.True(Double.IsFinite fit.Epochs[0].MeanLoss && fit.Epochs[0].KL > 0.0, sprintf "%A" fit.Epochs[0])

[<Fact>]
let ``the declaration's IsMCDropout agrees with what FitMCDropout accepts of the built network, over families and layer mixes`` () =
    engine ()
    use d = data false
    let bodies : (string * (SequentialBuilder -> SequentialBuilder)) list =
        [ "dense", fun b -> b.Linear(4L, 8L).Relu().Linear(8L, 3L)
          "MC dropout layer", fun b -> b.Linear(4L, 8L).Relu().MCDropout(0.5).Linear(8L, 3L)
          "plain dropout layer", fun b -> b.Linear(4L, 8L).Relu().Dropout(0.5).Linear(8L, 3L)
          "Bayesian", fun b -> b.BayesLinear(4L, 8L).Relu().Linear(8L, 3L)
          "Bayesian and MC dropout", fun b -> b.BayesLinear(4L, 8L).Relu().MCDropout(0.5).Linear(8L, 3L) ]
    let families =
        [ VariationalFamily.MeanField; VariationalFamily.LowRank 2; VariationalFamily.FullRank
          VariationalFamily.Dropout 0.3; VariationalFamily.ConcreteDropout ]
    let mutable checkedPairs = 0
    for name, body in bodies do
        for family in families do
            let declared = (body (ModelBuilder.Sequential())).WithLikelihood(Likelihoods.Categorical()).WithVariational(family)
            // Only declarations that build: the rest are refused before either rule applies.
            if declared.Validate().Count = 0 && declared.IsStochastic then
                use built = declared.Build cpu64
                let accepted =
                    try
                        built.FitMCDropout(d, MCDropoutFitOptions(Epochs = 1, BatchSize = 24)) |> ignore
                        true
                    with :? BuildException as e when e.Errors |> Seq.exists (fun x -> x.Kind = BuildErrorKind.UnsupportedFamily) -> false
                Assert.True((accepted = declared.IsMCDropout),
                            sprintf "%s under %s: the network is %s, the declaration says %b" name family.Name
                                (if accepted then "accepted" else "refused") declared.IsMCDropout)
                Assert.Equal(declared.IsMCDropout, declared.ValidateMCDropoutFit(MCDropoutFitOptions()).Count = 0)
                checkedPairs <- checkedPairs + 1
    // Both verdicts occur, so the agreement is not that of a constant.
    Assert.True(checkedPairs >= 12, sprintf "only %d declarations built" checkedPairs)
