/// WeightInitialization: each choice draws the distribution its formula says (moments within 4 standard errors of the
/// sample statistics), biases start at zero, TorchDefault leaves the build unchanged, and the choice survives every way a
/// declaration is extended (C#, the F# DSL, concrete dropout's wrapping, the MC dropout grid search's declarations).
module BayesDL.Tests.Networks.WeightInitializationTests

open System
open Xunit
open TorchSharp
open BayesDL.Builders
open BayesDL.Dsl
open BayesDL.Engine
open BayesDL.Networks
open BayesDL.Tests.TestSupport

let private weightLayers (network: torch.nn.Module) =
    network.modules()
    |> Seq.choose (fun m ->
        match m with
        | :? TorchSharp.Modules.Linear as l -> Some(l.weight, l.bias)
        | :? TorchSharp.Modules.Conv2d as c -> Some(c.weight, c.bias)
        | _ -> None)
    |> List.ofSeq

let private build (builder: SequentialBuilder) seed =
    NativeEngine.Seed seed
    builder.BuildNetwork cpu64

let private sampleVariance (w: torch.Tensor) =
    let v = values w
    let m = Array.average v
    v |> Array.averageBy (fun x -> (x - m) ** 2.0)

[<Fact>]
let ``GlorotUniform draws U(-a, a) with a = sqrt(6 / (fan_in + fan_out)) for dense and convolutional layers, and zero biases`` () =
    engine ()
    use dense = build (ModelBuilder.Sequential().Linear(400L, 300L).WithInitialization WeightInitialization.GlorotUniform) 11L
    let convolution = ModelBuilder.Sequential().Input(16L, 12L, 12L).Conv2d(16L, 32L, 3L)
    use conv = build (convolution.WithInitialization WeightInitialization.GlorotUniform) 12L
    // fan_in and fan_out count the kernel area: 16 x 9 and 32 x 9 for the convolution.
    for (network, fanIn, fanOut) in [ (dense :> torch.nn.Module, 400.0, 300.0); (conv :> torch.nn.Module, 144.0, 288.0) ] do
        let weight, bias = weightLayers network |> List.exactlyOne
        let a = sqrt (6.0 / (fanIn + fanOut))
        let n = float weight.NumberOfElements
        // Var w = a^2 / 3; the sample second moment's SE is sqrt(Var(w^2) / n), Var(w^2) = a^4/5 - a^4/9 = 4 a^4 / 45.
        let se = sqrt (4.0 * a ** 4.0 / 45.0 / n)
        let v = sampleVariance weight
        Assert.True(abs (v - a * a / 3.0) < 4.0 * se, sprintf "variance %g, expected %g +- 4 x %g" v (a * a / 3.0) se)
        let largest = values weight |> Array.map abs |> Array.max
        // Bounded by a, and its largest |w| within a (1 - 5/n) of a (P(max < a (1 - t)) = (1 - t)^n ~ e^-5 at t = 5/n).
        Assert.True(largest <= a && largest > a * (1.0 - 5.0 / n), sprintf "max |w| %g against a = %g" largest a)
        Assert.True(values bias |> Array.forall ((=) 0.0))

[<Fact>]
let ``HeNormal draws N(0, 2 / fan_in), normal tails included, and zero biases`` () =
    engine ()
    use network = build (ModelBuilder.Sequential().Linear(400L, 300L).WithInitialization WeightInitialization.HeNormal) 13L
    let weight, bias = weightLayers network |> List.exactlyOne
    let n = float weight.NumberOfElements
    let s2 = 2.0 / 400.0
    let v = sampleVariance weight
    // Var(w^2) = 2 sigma^4 for a centred normal.
    Assert.True(abs (v - s2) < 4.0 * s2 * sqrt (2.0 / n), sprintf "variance %g, expected %g" v s2)
    // P(|w| > 2 sigma) = 0.0455 for a normal; a uniform of the same variance never exceeds sqrt(3) sigma.
    let beyond = values weight |> Array.filter (fun x -> abs x > 2.0 * sqrt s2) |> Array.length |> float
    let p = 0.0455003
    Assert.True(abs (beyond / n - p) < 4.0 * sqrt (p * (1.0 - p) / n), sprintf "fraction beyond 2 sigma %g" (beyond / n))
    Assert.True(values bias |> Array.forall ((=) 0.0))

[<Fact>]
let ``TorchDefault is the undeclared build, draw for draw, and the same seed gives the same initial weights`` () =
    engine ()
    let plain = ModelBuilder.Sequential().Linear(8L, 50L).Relu().Linear(50L, 1L)
    Assert.Equal(WeightInitialization.TorchDefault, plain.Initialization)
    use a = build plain 5L
    use b = build (plain.WithInitialization WeightInitialization.TorchDefault) 5L
    for (wa, ba), (wb, bb) in List.zip (weightLayers a) (weightLayers b) do
        Assert.Equal<float[]>(values wa, values wb)
        Assert.Equal<float[]>(values ba, values bb)
    // TorchSharp's own draw: weights and biases within 1/sqrt(fan_in), biases not zero.
    let w0, b0 = weightLayers a |> List.head
    Assert.True(values w0 |> Array.forall (fun x -> abs x <= 1.0 / sqrt 8.0))
    Assert.True(values b0 |> Array.exists ((<>) 0.0))
    let glorot = plain.WithInitialization WeightInitialization.GlorotUniform
    use c = build glorot 5L
    use d = build glorot 5L
    for (wc, _), (wd, _) in List.zip (weightLayers c) (weightLayers d) do
        Assert.Equal<float[]>(values wc, values wd)

[<Fact>]
let ``the choice survives likelihood, family, composition, concrete dropout's wrapping and the F# model block`` () =
    engine ()
    let glorot = ModelBuilder.Sequential().Linear(8L, 50L).WithInitialization WeightInitialization.GlorotUniform
    let extended =
        glorot.Then(ModelBuilder.Sequential().Relu().Linear(50L, 1L)).WithLikelihood(Likelihoods.Gaussian 0.5)
            .WithVariational(VariationalFamily.Dropout 0.1).WithPrior(Priors.Normal(0.0, 1.0))
    Assert.Equal(WeightInitialization.GlorotUniform, extended.Initialization)
    use mcDropout = build extended 3L
    let concrete = extended.WithVariational VariationalFamily.ConcreteDropout
    use wrapped = build concrete 3L
    for network in [ mcDropout :> torch.nn.Module; wrapped :> torch.nn.Module ] do
        let layers = weightLayers network
        Assert.Equal(2, layers.Length)
        for _, bias in layers do
            Assert.True(values bias |> Array.forall ((=) 0.0))
    let declared =
        model {
            network (linear 8L 50L >> Activation.relu >> linear 50L 1L)
            likelihood (gaussianWith 0.5)
            variational (VariationalFamily.Dropout 0.1)
            initialization WeightInitialization.GlorotUniform
        }
    Assert.Equal(WeightInitialization.GlorotUniform, (Model.toBuilder declared).Initialization)
    Assert.Equal(WeightInitialization.TorchDefault, (Model.toBuilder { declared with Initialization = None }).Initialization)
    match Model.buildOn cpu64 declared with
    | Ok built ->
        use _ = built.Core
        for _, bias in weightLayers built.Core.Network do
            Assert.True(values bias |> Array.forall ((=) 0.0))
    | Error e -> failwithf "%A" e

[<Fact>]
let ``an undefined initialization value is refused, naming the parameter`` () =
    let e = Assert.Throws<ArgumentException>(fun () ->
        ModelBuilder.Sequential().Linear(2L, 1L).WithInitialization(enum<WeightInitialization> 7) |> ignore)
    Assert.Contains("initialization", e.Message)
    Assert.Contains("7", e.Message)
