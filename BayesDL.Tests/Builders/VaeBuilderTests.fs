/// The VAE declaration is checked before any module exists: the decoder must read the latent code, the
/// encoder must end in a feature vector, and the decoder width must match the likelihood.
module BayesDL.Tests.Builders.VaeBuilderTests

open Xunit
open BayesDL.Builders
open BayesDL.Tests.TestSupport
open TorchSharp

let private encoder = ModelBuilder.Sequential().Linear(16L, 8L).Relu()
let private decoder = ModelBuilder.Sequential().Linear(3L, 8L).Relu().Linear(8L, 16L)

let private single (errors: System.Collections.Generic.IReadOnlyList<BuildError>) =
    Assert.True(errors.Count = 1, sprintf "expected one mistake, got %A" (List.ofSeq errors))
    errors[0]

[<Fact>]
let ``a decoder that does not read the latent code is a shape mismatch naming z`` () =
    let e = ModelBuilder.Vae(encoder, decoder, 4L).Validate() |> single
    Assert.Equal(BuildErrorKind.ShapeMismatch, e.Kind)
    Assert.Equal("Linear(3 -> 8)", e.Layer)
    for part in [ "decoder:"; "expects input [3]"; "the latent code z is [4]" ] do Assert.Contains(part, e.Message)

[<Fact>]
let ``a decoder width that does not fit the likelihood is a likelihood mismatch`` () =
    // A learned-variance Gaussian needs a mean and a log-scale per feature: 2 x 16 outputs.
    let e = ModelBuilder.Vae(encoder, decoder, 3L).WithLikelihood(Likelihoods.GaussianLearned()).Validate() |> single
    Assert.Equal(BuildErrorKind.LikelihoodMismatch, e.Kind)
    for part in [ "[32]"; "16 features"; "outputs [16]" ] do Assert.Contains(part, e.Message)

[<Fact>]
let ``an encoder ending in an image shape is a shape mismatch asking for a flatten`` () =
    let convEncoder = ModelBuilder.Sequential(1L, 4L, 4L).Conv2d(1L, 2L, 3L)
    let e = ModelBuilder.Vae(convEncoder, decoder, 3L).Validate() |> single
    Assert.Equal(BuildErrorKind.ShapeMismatch, e.Kind)
    for part in [ "encoder:"; "[2, 2, 2]"; "Flatten" ] do Assert.Contains(part, e.Message)

[<Fact>]
let ``a valid VAE declaration builds a Vae with the declared sizes that decodes to the data width`` () =
    engine ()
    use v = ModelBuilder.Vae(encoder, decoder, 3L).Build(cpu64)
    Assert.Equal(16L, v.DataFeatures)
    Assert.Equal(3L, v.LatentDim)
    use x = torch.rand(5L, 16L, dtype = torch.ScalarType.Float64)
    use r = v.Reconstruct x
    Assert.Equal<int64>([| 5L; 16L |], r.shape)
