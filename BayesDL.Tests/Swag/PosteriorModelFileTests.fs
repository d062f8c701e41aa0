/// SWAG and SG-MCMC posteriors saved by ModelFile (format version 6) and loaded back predict as before, keep their statistics,
/// draws, likelihood and standardisation; a truncated or corrupted file, or a file of another kind, is refused naming the file.
module BayesDL.Tests.Swag.PosteriorModelFileTests

open System
open System.IO
open Xunit
open TorchSharp
open BayesDL.Builders
open BayesDL.Data
open BayesDL.Engine
open BayesDL.Mcmc
open BayesDL.Models
open BayesDL.Swag
open BayesDL.Tests.TestSupport
open BayesDL.Validation

/// Two Gaussian blobs (classes 0 and 1) in 2-d.
let private blobs n =
    NativeEngine.Seed 8L
    let y = torch.randint(2L, [| int64 n |], dtype = torch.ScalarType.Int64)
    let x = torch.randn(int64 n, 2L) * 0.5 + (y.to_type(torch.ScalarType.Float32) * 3.0 - 1.5).unsqueeze(1)
    new LabeledData(x, y)

/// y = sin(3 x) + noise, one column.
let private curve n =
    NativeEngine.Seed 9L
    let x = torch.rand(int64 n, 1L) * 2.0 - 1.0
    new LabeledData(x, (x * 3.0).sin() + torch.randn(int64 n, 1L) * 0.1)

let private classifier () =
    ModelBuilder.Sequential().Linear(2L, 8L).Tanh().Linear(8L, 2L).WithLikelihood(Likelihoods.Categorical())

let private regression () =
    ModelBuilder.Sequential().Linear(1L, 8L).Tanh().Linear(8L, 2L).WithLikelihood(Likelihoods.Heteroscedastic())

let private swagOptions = SwagOptions(Rank = 4, Epochs = 6, BurnInEpochs = 2, BatchSize = 16, SnapshotsPerEpoch = 2, Seed = 3L)
let private sgmcmcOptions cycles =
    SgmcmcOptions(Epochs = 4, BurnInEpochs = 1, BatchSize = 16, Thinning = 2, Chains = 2, Cycles = cycles, Seed = 3L)

/// The largest |a - b| of two tensors (0 when equal).
let private gap (a: torch.Tensor) (b: torch.Tensor) = scalar ((a - b).abs().max())

let private scaling = Standardization.Of([| 0.25 |], [| 2.0 |], -1.5, 3.0)

[<Fact>]
let ``a SWAG posterior survives the file: the Gaussian, seed, likelihood and standardisation, and its predictions`` () =
    engine ()
    use dir = new TempDir()
    use test = torch.linspace(-2.0, 2.0, 7L).reshape(7L, 1L)
    for name, model, data, scaled in
        [ "classifier", classifier (), blobs 64, None; "regression", regression (), curve 64, Some scaling ] do
        use data = data
        use swag = model.FitSwag(data, swagOptions, ComputePolicy.Cpu)
        let path = Path.Combine(dir.Path, name + ".bdl")
        ModelFile.SaveSwag(swag, path, Option.toObj scaled)
        Assert.Equal(ModelFileKind.Swag, ModelFile.KindOf path)
        use back = ModelFile.LoadSwag(path, ComputePolicy.Cpu)
        Assert.Equal(swag.Seed, back.Seed)
        Assert.Equal(swag.Gaussian.Snapshots, back.Gaussian.Snapshots)
        Assert.Equal(0.0, gap swag.Gaussian.Mean back.Gaussian.Mean)
        Assert.Equal(0.0, gap swag.Gaussian.Variance back.Gaussian.Variance)
        Assert.Equal(0.0, gap swag.Gaussian.Deviations back.Gaussian.Deviations)
        Assert.Equal(swag.Likelihood.Describe(), back.Likelihood.Describe())
        Assert.Equal<int64 seq>(swag.Network.OutputShape, back.Network.OutputShape)
        let inputs = if name = "classifier" then torch.cat([| test; test.flip(0L) |], 1L) else test
        use p1 = swag.Predict(inputs, 25)
        use p2 = back.Predict(inputs, 25)
        // The same float64 statistics and seed give the same draws, through the same functional form.
        Assert.Equal(0.0, gap p1.Samples p2.Samples)
        match scaled with
        | Some s ->
            let read = ModelFile.StandardizationOf path
            Assert.Equal<float seq>(s.InputMean, read.InputMean)
            Assert.Equal(s.TargetScale, read.TargetScale)
            Assert.Equal(0.0, gap p1.Variances p2.Variances)
        | None -> Assert.Null(ModelFile.StandardizationOf path)
        // A SWAG file is not a network's nor an SG-MCMC posterior's: the error names the reader.
        let e = Assert.Throws<FileFormatException>(fun () -> ModelFile.Load(path) |> ignore)
        Assert.Contains("LoadSwag", e.Message)
        let e = Assert.Throws<FileFormatException>(fun () -> ModelFile.LoadSgmcmc(path) |> ignore)
        Assert.Contains("a SWAG posterior", e.Message)

[<Fact>]
let ``an SG-MCMC posterior survives the file: every chain's draws and cycles, the options, and its predictions`` () =
    engine ()
    use dir = new TempDir()
    use test = torch.linspace(-2.0, 2.0, 7L).reshape(7L, 1L)
    for name, model, data, scaled, cycles in
        [ "classifier", classifier (), blobs 64, None, 0; "regression", regression (), curve 64, Some scaling, 2 ] do
        use data = data
        let options = sgmcmcOptions cycles
        let posterior = model.FitSgmcmc(data, options, ComputePolicy.Cpu)
        let path = Path.Combine(dir.Path, name + ".bdl")
        ModelFile.SaveSgmcmc(posterior, path, Option.toObj scaled)
        Assert.Equal(ModelFileKind.Sgmcmc, ModelFile.KindOf path)
        let back = ModelFile.LoadSgmcmc(path, ComputePolicy.Cpu)
        Assert.Equal(options, back.Options)
        Assert.Equal(2, back.Store.ChainCount)
        Assert.Equal(posterior.Store.DrawsPerChain, back.Store.DrawsPerChain)
        Assert.True(back.Store.DrawsPerChain >= 2, "draws kept")
        Assert.Equal<int seq>(posterior.Store.Cycles, back.Store.Cycles)
        for c in 0 .. 1 do
            for t in 0 .. back.Store.DrawsPerChain - 1 do
                Assert.Equal<float32 seq>(posterior.Store.Draw(c, t), back.Store.Draw(c, t))
        let inputs = if name = "classifier" then torch.cat([| test; test.flip(0L) |], 1L) else test
        use p1 = posterior.Predict(inputs)
        use p2 = back.Predict(inputs)
        Assert.Equal(0.0, gap p1.Samples p2.Samples)
        if scaled.IsSome then Assert.Equal(-1.5, (ModelFile.StandardizationOf path).TargetMean)
        let e = Assert.Throws<FileFormatException>(fun () -> ModelFile.LoadSwag(path) |> ignore)
        Assert.Contains("LoadSgmcmc", e.Message)

[<Fact>]
let ``a truncated or corrupted SWAG or SG-MCMC file is refused naming the file`` () =
    engine ()
    use dir = new TempDir()
    use data = blobs 48
    use swag = classifier().FitSwag(data, swagOptions, ComputePolicy.Cpu)
    let sgmcmc = classifier().FitSgmcmc(data, sgmcmcOptions 0, ComputePolicy.Cpu)
    let swagPath, sgmcmcPath = Path.Combine(dir.Path, "swag.bdl"), Path.Combine(dir.Path, "sgmcmc.bdl")
    ModelFile.SaveSwag(swag, swagPath)
    ModelFile.SaveSgmcmc(sgmcmc, sgmcmcPath)
    let loads: (string * (string -> unit)) list =
        [ swagPath, (fun p -> (ModelFile.LoadSwag p).Dispose()); sgmcmcPath, (fun p -> ModelFile.LoadSgmcmc p |> ignore) ]
    for path, load in loads do
        let bytes = File.ReadAllBytes path
        load path
        let broken = path + ".broken"
        // Cut in the middle of the tensors, and one byte flipped in them: both fail the checksum and are named.
        File.WriteAllBytes(broken, bytes[.. bytes.Length * 2 / 3])
        let e = Assert.Throws<FileFormatException>(fun () -> load broken)
        Assert.Equal(broken, e.Path)
        let flipped = Array.copy bytes
        flipped[bytes.Length - 9] <- flipped[bytes.Length - 9] ^^^ 0x10uy
        File.WriteAllBytes(broken, flipped)
        let e = Assert.Throws<FileFormatException>(fun () -> load broken)
        Assert.Equal(broken, e.Path)
        Assert.Contains(broken, e.Message)
