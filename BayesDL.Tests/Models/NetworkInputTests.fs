/// NetworkInput reads what a network's first weight layer takes in, past activations, dropout and Flatten.
module BayesDL.Tests.Models.NetworkInputTests

open Xunit
open BayesDL.Builders
open BayesDL.Models
open BayesDL.Tests.TestSupport

let private inputOf (b: SequentialBuilder) =
    use built = b.WithLikelihood(Likelihoods.Categorical()).Build cpu64
    NetworkInput.Of built.Network

[<Fact>]
let ``the first weight layer's input features or channels, in every family`` () =
    engine ()
    Assert.Equal(NetworkInput(12L, false), inputOf (ModelBuilder.Sequential().BayesLinear(12L, 5L).Relu().BayesLinear(5L, 3L)))
    // MC dropout before a deterministic layer: the dropout changes no size, the Linear decides.
    Assert.Equal(NetworkInput(7L, false), inputOf (ModelBuilder.Sequential().Input(7L).MCDropout(0.1).Linear(7L, 3L)))
    Assert.Equal(NetworkInput(9L, false),
                 inputOf (ModelBuilder.Sequential().BayesLinear(9L, 4L).Relu().BayesLinear(4L, 3L)
                              .WithVariational(VariationalFamily.LowRank 2)))
    Assert.Equal(NetworkInput(6L, false),
                 inputOf (ModelBuilder.Sequential().Linear(6L, 4L).Relu().Linear(4L, 3L)
                              .WithVariational(VariationalFamily.ConcreteDropout)))
    Assert.Equal(NetworkInput(2L, true),
                 inputOf (ModelBuilder.Sequential().Input(2L, 6L, 6L).BayesConv2d(2L, 3L, 3L).Relu().Flatten().BayesLinear(48L, 3L)))
