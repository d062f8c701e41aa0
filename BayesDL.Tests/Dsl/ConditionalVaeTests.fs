/// The conditional VAE and M2 declared from F# (`cvae { ... }`, `m2 { ... }`) and from C#
/// (`ModelBuilder.Vae(...).Conditional(c)`, `.SemiSupervised(classifier)`): identical models and fits with the same seed,
/// width mistakes named with the layer and both widths; and the C# VAE builder's Fit equals the F# `Vae.fit`.
module BayesDL.Tests.Dsl.ConditionalVaeTests

open Xunit
open BayesDL.Builders
open BayesDL.Dsl
open BayesDL.Engine
open BayesDL.Tests.TestSupport
open TorchSharp

let private orFail r = r |> Result.defaultWith (fun (e: BayesError) -> failwith e.Message)
let private seq' (n: int64) = ModelBuilder.Sequential()

/// 24 rows of 6 features in [0, 1] with labels in {0, 1, 2}.
let private labelled () =
    NativeEngine.Seed 21L
    new BayesDL.Data.LabeledData(torch.rand(24L, 6L, dtype = torch.ScalarType.Float64),
                                 torch.randint(3L, [| 24L |], dtype = torch.ScalarType.Int64))

let private settings = vi { epochs 3; batchSize 8; learningRate 0.01; seed 2L }
let private options = settings.ToOptions()

/// The same 6-8-2 VAE from C# and from F#, for the tests that fit both and compare.
let private tinyVaeBuilder () = ModelBuilder.Vae(ModelBuilder.Sequential().Linear(6L, 8L).Relu(),
                                                 ModelBuilder.Sequential().Linear(2L, 8L).Relu().Linear(8L, 6L), 2L)
let private tinyVaeDecl () = vae { encoder (linear 6L 8L >> Activation.relu);
                                   decoder (linear 2L 8L >> Activation.relu >> linear 8L 6L); latent 2 }

[<Fact>]
let ``the C# VaeBuilder Fit equals building and fitting the F# vae block`` () =
    engine ()
    use data = labelled ()
    NativeEngine.Seed 30L
    let csharp =
        (tinyVaeBuilder ())
            .Fit(data.Inputs, options, cpu64)
    NativeEngine.Seed 30L
    let built = tinyVaeDecl () |> VaeDsl.Vae.buildOn cpu64 |> orFail
    let fsharp = VaeDsl.Vae.fit settings data.Inputs built |> orFail
    Assert.Equal<float list>(List.ofSeq csharp.EpochLosses, fsharp.EpochLosses)
    Assert.Equal(3, fsharp.EpochLosses.Length)
    Assert.Equal<float[]>(values (csharp.Model.Reconstruct data.Inputs), values (built.Reconstruct data.Inputs))

[<Fact>]
let ``a cvae block and the C# Conditional builder build and fit identical conditional VAEs`` () =
    engine ()
    use data = labelled ()
    NativeEngine.Seed 31L
    let csharp =
        ModelBuilder.Vae(ModelBuilder.Sequential().Linear(9L, 8L).Relu(),
                         ModelBuilder.Sequential().Linear(5L, 8L).Relu().Linear(8L, 6L), 2L)
            .Conditional(3).Fit(data, options, cpu64)
    NativeEngine.Seed 31L
    let built = cvae { encoder (linear 9L 8L >> Activation.relu); decoder (linear 5L 8L >> Activation.relu >> linear 8L 6L); latent 2;
                       classes 3 } |> Cvae.buildOn cpu64 |> orFail
    let fsharp = Cvae.fit settings data built |> orFail
    Assert.Equal<float list>(List.ofSeq csharp.EpochLosses, fsharp.EpochLosses)
    Assert.Equal<float[]>(values (csharp.Model.forward(data.Inputs, data.Targets)), values (built.forward(data.Inputs, data.Targets)))
    // The label conditions the decoder: the same z with different labels decodes differently.
    use z = torch.zeros(3L, 2L, dtype = torch.ScalarType.Float64)
    use onehot = torch.eye(3L, dtype = torch.ScalarType.Float64)
    use decoded = built.Model.DecodeMean(z, onehot)
    Assert.NotEqual<float[]>(values decoded[0L], values decoded[1L])

[<Fact>]
let ``cvae width mistakes name the layer and both widths`` () =
    // The encoder forgot the one-hot label: it reads 6 = 3 data features + 3 classes, but the decoder outputs 6.
    match cvae { encoder (linear 6L 8L >> Activation.relu); decoder (linear 5L 8L >> Activation.relu >> linear 8L 6L);
                 latent 2; classes 3 } |> Cvae.validate with
    | Error(LikelihoodMismatch(layer, message)) ->
        Assert.Equal("Linear(8 -> 6)", layer)
        Assert.Contains("6 = 3 data features + 3 classes", message)
        Assert.Contains("[3] for 3 features", message)
    | other -> failwithf "expected LikelihoodMismatch, got %A" other
    // The decoder reads z alone.
    let errors = ModelBuilder.Vae(ModelBuilder.Sequential().Linear(9L, 8L).Relu(),
                                  ModelBuilder.Sequential().Linear(2L, 8L).Relu().Linear(8L, 6L), 2L).Conditional(3).Validate()
    let e = Assert.Single errors
    Assert.Equal(BuildErrorKind.ShapeMismatch, e.Kind)
    Assert.Equal("Linear(2 -> 8)", e.Layer)
    Assert.Contains("expects input [2], but [z, one-hot y] (2 latent + 3 classes) is [5]", e.Message)
    Assert.Equal(BuildErrorKind.InvalidParameter, (Assert.Single(ModelBuilder.Vae(seq' 0L, seq' 0L, 2L).Conditional(1).Validate())).Kind)

[<Fact>]
let ``an m2 block and the C# SemiSupervised builder build and fit identical M2 models`` () =
    engine ()
    use data = labelled ()
    NativeEngine.Seed 40L
    use unlabelled = torch.rand(40L, 6L, dtype = torch.ScalarType.Float64)
    NativeEngine.Seed 32L
    let csharp =
        ModelBuilder.Vae(ModelBuilder.Sequential().Linear(9L, 8L).Relu(),
                         ModelBuilder.Sequential().Linear(5L, 8L).Relu().Linear(8L, 6L), 2L)
            .Conditional(3).SemiSupervised(ModelBuilder.Sequential().Linear(6L, 8L).Relu().Linear(8L, 3L), alpha = 10.0)
            .Fit(data, unlabelled, options, cpu64)
    NativeEngine.Seed 32L
    let built =
        m2 {
            encoder (linear 9L 8L >> Activation.relu)
            decoder (linear 5L 8L >> Activation.relu >> linear 8L 6L)
            classifier (linear 6L 8L >> Activation.relu >> linear 8L 3L)
            latent 2
            classes 3
            alpha 10.0
        }
        |> M2.buildOn cpu64 |> orFail
    let fsharp = M2.fit settings data unlabelled built |> orFail
    Assert.Equal<float list>(List.ofSeq csharp.EpochLosses, fsharp.EpochLosses)
    Assert.All(fsharp.EpochLosses, fun l -> Assert.True(System.Double.IsFinite l))
    Assert.Equal<float[]>(values (csharp.Model.forward data.Inputs), values (built.forward data.Inputs))

[<Fact>]
let ``m2 classifier mistakes and M2-incompatible settings are reported before training`` () =
    engine ()
    let decl = m2 { encoder (linear 9L 8L >> Activation.relu);
                    decoder (linear 5L 8L >> Activation.relu >> linear 8L 6L); latent 2; classes 3 }
    match M2.validate decl with
    | Error(Incomplete message) -> Assert.Contains("classifier", message)
    | other -> failwithf "expected Incomplete, got %A" other
    match M2.validate { decl with Classifier = Some(linear 6L 8L >> Activation.relu >> linear 8L 4L) } with
    | Error(LikelihoodMismatch(layer, message)) ->
        Assert.Equal("Linear(8 -> 4)", layer)
        Assert.Contains("must output 3 class logits", message)
        Assert.Contains("outputs [4]", message)
    | other -> failwithf "expected LikelihoodMismatch, got %A" other
    match M2.validate { decl with Classifier = Some(linear 9L 8L >> Activation.relu >> linear 8L 3L) } with
    | Error(ShapeMismatch(layer, message)) ->
        Assert.Equal("Linear(9 -> 8)", layer)
        Assert.Contains("[6] (9 encoder inputs - 3 classes)", message)
    | other -> failwithf "expected ShapeMismatch, got %A" other
    let built = M2.buildOn cpu64 { decl with Classifier = Some(linear 6L 8L >> Activation.relu >> linear 8L 3L) } |> orFail
    use data = labelled ()
    match M2.fit (vi { samples 2 }) data data.Inputs built with
    | Error(InvalidParameter(_, message)) -> Assert.Contains("WeightSamples 2", message)
    | other -> failwithf "expected InvalidParameter, got %A" other

[<Fact>]
let ``the autoencoder from a vae block and from the C# VaeBuilder fit identically`` () =
    engine ()
    use data = labelled ()
    NativeEngine.Seed 33L
    let csharp =
        (tinyVaeBuilder ())
            .FitAutoencoder(data.Inputs, options, cpu64)
    NativeEngine.Seed 33L
    let built = tinyVaeDecl () |> VaeDsl.Vae.buildAutoencoderOn cpu64 |> orFail
    let fsharp = VaeDsl.Vae.fitAutoencoder settings data.Inputs built |> orFail
    Assert.Equal<float list>(List.ofSeq csharp.EpochLosses, fsharp.EpochLosses)
    Assert.Equal<float[]>(values (csharp.Model.Reconstruct data.Inputs), values (built.Reconstruct data.Inputs))
    // Training lowers the reconstruction loss.
    Assert.True(List.last fsharp.EpochLosses < List.head fsharp.EpochLosses, sprintf "%A" fsharp.EpochLosses)
