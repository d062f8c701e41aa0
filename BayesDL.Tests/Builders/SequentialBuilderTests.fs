/// The fluent builder catches each kind of declaration mistake before any tensor exists, naming the
/// layer and both shapes; a valid declaration builds a network with the declared output shape.
module BayesDL.Tests.Builders.SequentialBuilderTests

open System
open Xunit
open BayesDL.Builders
open BayesDL.Tests.TestSupport
open TorchSharp

let private single (b: SequentialBuilder) =
    let errors = b.Validate()
    Assert.True(errors.Count = 1, sprintf "expected exactly one mistake, got %A" (List.ofSeq errors))
    errors[0]

let private containsAll (message: string) (parts: string list) =
    for p in parts do Assert.True(message.Contains p, sprintf "message lacks '%s':\n%s" p message)

[<Fact>]
let ``dense widths that do not chain are a shape mismatch naming the layer and both shapes`` () =
    let e = ModelBuilder.Sequential().Linear(784L, 400L).Relu().Linear(300L, 10L) |> single
    Assert.Equal(BuildErrorKind.ShapeMismatch, e.Kind)
    Assert.Equal(2, e.LayerIndex)
    Assert.Equal("Linear(300 -> 10)", e.Layer)
    containsAll e.Message [ "layer 2 'Linear(300 -> 10)'"; "expects input [300]"; "outputs [400]"; "layer 1 'Relu'" ]

[<Fact>]
let ``a flatten after a convolution reports the flattened width against the next layer`` () =
    // 1x28x28 -> conv 5x5, 8 channels -> 8x24x24 -> flatten 4608.
    let e = ModelBuilder.Sequential(1L, 28L, 28L).Conv2d(1L, 8L, 5L).Relu().Flatten().Linear(100L, 10L) |> single
    Assert.Equal(BuildErrorKind.ShapeMismatch, e.Kind)
    Assert.Equal(3, e.LayerIndex) // conv 0, relu 1, flatten 2, linear 3
    containsAll e.Message [ "expects input [100]"; "'Flatten' outputs [4608]" ]

[<Fact>]
let ``a convolution reading the wrong number of channels names the model input shape`` () =
    let e = ModelBuilder.Sequential(3L, 32L, 32L).Conv2d(1L, 8L, 3L) |> single
    Assert.Equal(BuildErrorKind.ShapeMismatch, e.Kind)
    containsAll e.Message [ "Conv2d(1 -> 8"; "expects input [1, height, width]"; "the model input is [3, 32, 32]" ]

[<Fact>]
let ``a convolution first with no declared input shape is incomplete`` () =
    let e = ModelBuilder.Sequential().Conv2d(1L, 8L, 3L) |> single
    Assert.Equal(BuildErrorKind.Incomplete, e.Kind)
    containsAll e.Message [ "Conv2d(1 -> 8"; "Input(" ]

[<Fact>]
let ``an empty declaration is incomplete`` () =
    Assert.Equal(BuildErrorKind.Incomplete, (ModelBuilder.Sequential() |> single).Kind)

[<Fact>]
let ``a categorical likelihood on one output is a likelihood mismatch naming the output layer`` () =
    let e = ModelBuilder.Sequential().Linear(4L, 8L).Relu().Linear(8L, 1L).WithLikelihood(Likelihoods.Categorical()) |> single
    Assert.Equal(BuildErrorKind.LikelihoodMismatch, e.Kind)
    containsAll e.Message [ "Categorical"; "'Linear(8 -> 1)'"; "[1]" ]

[<Fact>]
let ``a likelihood reading logits after a softmax is a likelihood mismatch`` () =
    let e = ModelBuilder.Sequential().Linear(4L, 3L).Activation(Activation.Softmax).WithLikelihood(Likelihoods.Categorical()) |> single
    Assert.Equal(BuildErrorKind.LikelihoodMismatch, e.Kind)
    containsAll e.Message [ "reads logits"; "Softmax"; "[3]" ]

[<Fact>]
let ``a heteroscedastic likelihood needs an even output width`` () =
    let e = ModelBuilder.Sequential().Linear(1L, 3L).WithLikelihood(Likelihoods.Heteroscedastic()) |> single
    Assert.Equal(BuildErrorKind.LikelihoodMismatch, e.Kind)
    containsAll e.Message [ "Heteroscedastic"; "[3]"; "width 6" ]
    Assert.Empty(ModelBuilder.Sequential().Linear(1L, 2L).WithLikelihood(Likelihoods.Heteroscedastic()).Validate())

[<Fact>]
let ``a likelihood after an image-shaped output asks for a flatten`` () =
    let e = ModelBuilder.Sequential(1L, 8L, 8L).Conv2d(1L, 2L, 3L).WithLikelihood(Likelihoods.Gaussian(0.1)) |> single
    Assert.Equal(BuildErrorKind.LikelihoodMismatch, e.Kind)
    containsAll e.Message [ "[2, 6, 6]"; "Flatten" ]

[<Fact>]
let ``out-of-range layer parameters are reported for every layer`` () =
    let errors = ModelBuilder.Sequential().Linear(0L, 4L).Dropout(1.5).Validate()
    Assert.Equal(2, errors.Count)
    Assert.All(errors, fun e -> Assert.Equal(BuildErrorKind.InvalidParameter, e.Kind))
    containsAll errors[0].Message [ "layer 0"; "Linear(0 -> 4)" ]
    containsAll errors[1].Message [ "layer 1"; "Dropout(p = 1.5)"; "[0, 1)" ]

[<Fact>]
let ``Build throws a BuildException listing the mistakes`` () =
    let e = Assert.Throws<BuildException>(fun () -> ModelBuilder.Sequential().Linear(2L, 3L).Linear(4L, 1L).Build(cpu64) |> ignore)
    containsAll e.Message [ "Linear(4 -> 1)"; "[4]"; "[3]"; "no likelihood" ]
    Assert.Equal<BuildErrorKind list>([ BuildErrorKind.ShapeMismatch; BuildErrorKind.Incomplete; BuildErrorKind.Incomplete ],
                                      [ for x in e.Errors -> x.Kind ])
    let d =
        Assert.Throws<BuildException>(fun () ->
            ModelBuilder.Sequential().Linear(2L, 3L).WithLikelihood(Likelihoods.Categorical()).Build(cpu64) |> ignore)
    containsAll d.Message [ "no weight posterior"; "BuildNetwork()" ]

[<Fact>]
let ``a valid declaration builds a network with the declared shapes and the builder is immutable`` () =
    engine ()
    let trunk = ModelBuilder.Sequential().BayesLinear(6L, 5L).Tanh()
    let classifier = trunk.BayesLinear(5L, 3L).WithLikelihood(Likelihoods.Categorical())
    Assert.Equal(2, trunk.Layers.Count) // extending a builder leaves the prefix untouched
    use m = classifier.Build(cpu64)
    Assert.Equal<int64>([| 6L |], m.InputShape)
    Assert.Equal<int64>([| 3L |], m.OutputShape)
    use x = torch.randn(4L, 6L, dtype = torch.ScalarType.Float64)
    use y = m.Forward x
    Assert.Equal<int64>([| 4L; 3L |], y.shape)

[<Fact>]
let ``a convolutional declaration builds and its output matches the inferred shape`` () =
    engine ()
    use m = ModelBuilder.Sequential(1L, 12L, 12L).Conv2d(1L, 4L, 3L, stride = 2L, padding = 1L).Relu().Flatten()
                .Linear(144L, 2L).BuildNetwork(cpu64)
    use x = torch.randn(3L, 1L, 12L, 12L, dtype = torch.ScalarType.Float64)
    use y = m.forward x
    Assert.Equal<int64>([| 3L; 2L |], y.shape)

[<Fact>]
let ``a full-rank family on an oversized layer is unsupported, naming the layer and its parameter count`` () =
    // 100 x 50 weights + 50 biases = 5050 parameters: a 5050 x 5050 Cholesky factor, above the 2048-parameter limit.
    let e = ModelBuilder.Sequential().BayesLinear(100L, 50L).Relu().BayesLinear(50L, 1L)
                .WithVariational(VariationalFamily.FullRank) |> single
    Assert.Equal(BuildErrorKind.UnsupportedFamily, e.Kind)
    Assert.Equal(0, e.LayerIndex)
    containsAll e.Message [ "layer 0 'BayesLinear(100 -> 50)'"; "5050 weights"; "5050 x 5050"; "2048"; "lowRank" ]
    // The second layer (51 parameters) fits: only the oversized one is reported.
    let bad = ModelBuilder.Sequential().BayesLinear(10L, 5L).WithVariational(VariationalFamily.LowRank 0).Validate()
    Assert.Contains(bad, fun e -> e.Kind = BuildErrorKind.InvalidParameter && e.Message.Contains "rank k must be >= 1")

[<Fact>]
let ``a correlated family on a Bayesian convolution, and a rank above the parameter count, are unsupported`` () =
    let conv = ModelBuilder.Sequential(1L, 6L, 6L).BayesConv2d(1L, 2L, 3L).Flatten().BayesLinear(32L, 2L)
                   .WithVariational(VariationalFamily.LowRank 2) |> single
    Assert.Equal(BuildErrorKind.UnsupportedFamily, conv.Kind)
    containsAll conv.Message [ "layer 0 'BayesConv2d(1 -> 2, kernel 3"; "20 weights"; "dense Bayesian layers" ]
    let rank = ModelBuilder.Sequential().BayesLinear(2L, 1L).WithVariational(VariationalFamily.LowRank 5) |> single
    containsAll rank.Message [ "'BayesLinear(2 -> 1)'"; "k = 5 exceeds the layer's 3 parameters" ]

[<Fact>]
let ``concrete dropout refuses Bayesian layers and a prior without a closed-form concrete KL`` () =
    let bayesian = ModelBuilder.Sequential().BayesLinear(4L, 2L).WithVariational(VariationalFamily.ConcreteDropout) |> single
    Assert.Equal(BuildErrorKind.UnsupportedFamily, bayesian.Kind)
    containsAll bayesian.Message [ "'BayesLinear(4 -> 2)'"; "ConcreteDropout" ]
    let prior = ModelBuilder.Sequential().Linear(4L, 2L).WithPrior(Priors.Laplace(0.0, 1.0))
                    .WithVariational(VariationalFamily.ConcreteDropout) |> single
    Assert.Equal(BuildErrorKind.UnsupportedFamily, prior.Kind)
    containsAll prior.Message [ "N(0, s^2)"; "Laplace" ]

[<Fact>]
let ``the dropout family builds an MC-dropout network that stays stochastic in evaluation mode`` () =
    engine ()
    use m = ModelBuilder.Sequential().Linear(6L, 32L).Relu().Linear(32L, 2L).WithVariational(VariationalFamily.Dropout 0.5)
                .WithLikelihood(Likelihoods.Categorical()).Build(cpu64)
    m.Network.eval ()
    use x = torch.ones(1L, 6L, dtype = torch.ScalarType.Float64)
    let a = values (m.Forward x)
    let b = values (m.Forward x)
    // Each pass draws fresh masks over 38 units at p = 0.5; equal outputs would need equal masks (about 2^-38).
    Assert.NotEqual<float[]>(a, b)
    // Without the family the same declaration is deterministic in evaluation mode.
    use plain = ModelBuilder.Sequential().Linear(6L, 32L).Relu().Linear(32L, 2L).BuildNetwork(cpu64)
    plain.eval ()
    Assert.Equal<float[]>(values (plain.forward x), values (plain.forward x))

[<Fact>]
let ``Bayesian layers take part in the shape walk and a Bayesian layer refuses the dropout family`` () =
    let e = ModelBuilder.Sequential().BayesLinear(784L, 400L, prior = Priors.Normal(0.0, 1.0)).Relu().BayesLinear(40L, 10L) |> single
    Assert.Equal(BuildErrorKind.ShapeMismatch, e.Kind)
    containsAll e.Message [ "'BayesLinear(40 -> 10)'"; "expects input [40]"; "outputs [400]" ]
    let f = ModelBuilder.Sequential().BayesLinear(4L, 2L).WithVariational(VariationalFamily.Dropout 0.5) |> single
    Assert.Equal(BuildErrorKind.UnsupportedFamily, f.Kind)
    containsAll f.Message [ "BayesLinear(4 -> 2)"; "meanField" ]

[<Fact>]
let ``a declared Bayesian model is a BayesianNetwork whose KL sums its layers and is stochastic per pass`` () =
    engine ()
    use m = ModelBuilder.Sequential().BayesLinear(3L, 8L).Relu().BayesLinear(8L, 2L).WithLikelihood(Likelihoods.Categorical()).Build(cpu64)
    Assert.Equal(2, m.Network.VariationalLayers.Count)
    Assert.True(scalar (m.Network.KL()) > 0.0)
    use x = torch.ones(1L, 3L, dtype = torch.ScalarType.Float64)
    Assert.NotEqual<float[]>(values (m.Forward x), values (m.Forward x))
