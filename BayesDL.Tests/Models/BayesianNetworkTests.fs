/// BayesianNetwork checks its inputs in BayesDL's words before the engine sees them (dtype, device, features of the first
/// weight layer), and one loaded network serves Predict from several threads at once.
module BayesDL.Tests.Models.BayesianNetworkTests

open System
open System.Threading
open Xunit
open TorchSharp
open BayesDL.Builders
open BayesDL.Data
open BayesDL.Engine
open BayesDL.Models
open BayesDL.Predictive
open BayesDL.Tests.TestSupport

/// A 16-8-3 Bayes-by-Backprop classifier under `policy`.
let private classifier (policy: ComputePolicy) =
    ModelBuilder.Sequential().BayesLinear(16L, 8L).Relu().BayesLinear(8L, 3L)
        .WithLikelihood(Likelihoods.Categorical()).Build(policy)

/// Asserts an ArgumentException from BayesianNetwork naming `parameter` whose message holds every fragment.
let private refused (parameter: string) (fragments: string list) (action: unit -> unit) =
    let e = Assert.Throws<ArgumentException>(action)
    Assert.StartsWith(sprintf "BayesianNetwork: parameter '%s'" parameter, e.Message)
    for f in fragments do
        Assert.Contains(f, e.Message)

[<Fact>]
let ``a float32 network fed float64 inputs, and the reverse, is refused naming both dtypes and the fix`` () =
    engine ()
    use f32 = classifier ComputePolicy.Cpu
    use x64 = torch.rand(5L, 16L, dtype = torch.ScalarType.Float64)
    refused "inputs" [ "dtype Float64"; "Float32, the dtype of the network's parameters"; "inputs.to(Float32)" ]
        (fun () -> f32.Predict(x64, 4) |> ignore)
    use f64 = classifier cpu64
    use x32 = torch.rand(5L, 16L, dtype = torch.ScalarType.Float32)
    refused "input" [ "dtype Float32"; "Float64, the dtype"; "ComputePolicy" ] (fun () -> f64.Forward(x32) |> ignore)
    refused "input" [ "dtype Float32" ] (fun () -> f64.Network.ForwardDraws(x32, 3) |> ignore)
    // Training data of the wrong dtype is named as such before the first step.
    use data = new LabeledData(x32.clone(), torch.zeros(5L, dtype = torch.ScalarType.Int64))
    refused "data.Inputs" [ "dtype Float32"; "Float64" ] (fun () -> f64.Fit(data, VariationalFitOptions(Epochs = 1)) |> ignore)

[<Fact>]
let ``inputs whose features do not match the first layer are refused naming both shapes, in every kind of first layer`` () =
    engine ()
    use bayes = classifier cpu64
    use wide = torch.rand(4L, 25L, dtype = torch.ScalarType.Float64)
    refused "inputs" [ "shape [4, 25]"; "[N, 16]"; "16 input features of the first layer, BayesLinear"; "rows of 16 features" ]
        (fun () -> bayes.Predict(wide, 3) |> ignore)
    use one = torch.rand(16L, dtype = torch.ScalarType.Float64)
    refused "inputs" [ "shape [16]"; "unsqueeze(0)" ] (fun () -> bayes.Predict(one, 3) |> ignore)
    // MC dropout before a deterministic Linear: libtorch's "mat1 and mat2 shapes cannot be multiplied" before this check.
    use dropout =
        ModelBuilder.Sequential().Input(7L).MCDropout(0.1).Linear(7L, 3L).WithLikelihood(Likelihoods.Categorical()).Build(cpu64)
    refused "inputs" [ "shape [4, 25]"; "[N, 7]"; "Linear" ] (fun () -> dropout.Predict(wide, 3) |> ignore)
    // A convolution takes [N, C, H, W]; flat rows get the reshape hint.
    use conv =
        ModelBuilder.Sequential().Input(1L, 4L, 4L).BayesConv2d(1L, 2L, 3L).Relu().Flatten().BayesLinear(8L, 3L)
            .WithLikelihood(Likelihoods.Categorical()).Build(cpu64)
    use flat = torch.rand(4L, 16L, dtype = torch.ScalarType.Float64)
    refused "inputs" [ "shape [4, 16]"; "[N, 1, H, W]"; "BayesConv2d"; "reshape(N, 1, H, W)" ] (fun () -> conv.Predict(flat, 3) |> ignore)
    use images = flat.reshape(4L, 1L, 4L, 4L)
    use ok = conv.Predict(images, 3)
    Assert.Equal<int64[]>([| 3L; 4L; 3L |], ok.Samples.shape)
    // After a Flatten a dense layer counts the elements per example.
    use flattened =
        ModelBuilder.Sequential().Input(1L, 4L, 4L).Flatten().BayesLinear(16L, 3L).WithLikelihood(Likelihoods.Categorical()).Build(cpu64)
    use good = flattened.Predict(images, 2)
    Assert.Equal<int64[]>([| 2L; 4L; 3L |], good.Samples.shape)
    use big = torch.rand(4L, 1L, 5L, 5L, dtype = torch.ScalarType.Float64)
    refused "inputs" [ "shape [4, 1, 5, 5]"; "16 elements per example"; "after Flatten" ] (fun () -> flattened.Predict(big, 2) |> ignore)
    // A module of the user's own before the first weight layer may change the shape: no feature check then
    // (here pooling halves 32 values to the 16 the BayesLinear takes).
    use pooled =
        BayesianNetwork.Create(Likelihood.Categorical(), torch.nn.MaxPool1d(2L), torch.nn.Flatten(),
                               BayesDL.Layers.BayesNN.BayesLinear(16L, 3L))
    use x = torch.rand(4L, 1L, 32L)
    use p = pooled.Predict(x, 2)
    Assert.Equal<int64[]>([| 2L; 4L; 3L |], p.Samples.shape)

/// T stochastic predictions of `network` for `x` as flat float64 values.
let private predictValues (network: BayesianNetwork) (x: torch.Tensor) (samples: int) =
    use p = network.Predict(x, samples)
    values p.Samples

/// Runs `work` on `count` new threads released together by a barrier; returns their results in thread order.
let private together (count: int) (work: int -> 'T) =
    use barrier = new Barrier(count)
    let results = Array.zeroCreate<'T> count
    let errors = Collections.Concurrent.ConcurrentBag<exn>()
    let threads =
        Array.init count (fun i ->
            Thread((fun () ->
                try
                    barrier.SignalAndWait()
                    results[i] <- work i
                with e -> errors.Add e), 16 * 1024 * 1024))
    for t in threads do t.Start()
    for t in threads do t.Join()
    if not errors.IsEmpty then raise (AggregateException(errors))
    results

[<Fact>]
let ``four threads predicting at once from one loaded model give the four predictions made one after another from the same seed`` () =
    engine ()
    use dir = new TempDir()
    let path = dir.File "served.bnn"
    NativeEngine.Seed 11L
    (use built =
        ModelBuilder.Sequential().BayesLinear(16L, 64L).Relu().BayesLinear(64L, 64L).Relu().BayesLinear(64L, 3L)
            .WithLikelihood(Likelihoods.Categorical()).Build(ComputePolicy.Cpu)
     ModelFile.Save(built.Network, path))
    use network = ModelFile.Load(path, ComputePolicy.Cpu)
    // Small row budget: every Predict runs several chunks, each setting WeightDraws on the shared layers.
    network.PredictRowBudget <- 256L
    use x = torch.rand(64L, 16L)
    let threads, samples = 4, 40
    for round in 1 .. 3 do
        let seed = 100L + int64 round
        // One after another, on one worker thread (worker threads share the engine's per-thread defaults).
        NativeEngine.Seed seed
        let sequential = (together 1 (fun _ -> List.init threads (fun _ -> predictValues network x samples)))[0]
        NativeEngine.Seed seed
        let concurrent = together threads (fun _ -> predictValues network x samples)
        Assert.True(sequential |> List.pairwise |> List.forall (fun (a, b) -> a <> b), "the sequential predictions should differ")
        // Each concurrent prediction is one of the sequential ones, and together they are all of them.
        let matched = concurrent |> Array.map (fun c -> sequential |> List.tryFindIndex (fun s -> s = c))
        Assert.True(matched |> Array.forall Option.isSome,
            sprintf "round %d: a concurrent prediction matches no sequential one (matches %A)" round matched)
        Assert.Equal<int list>([ 0 .. threads - 1 ], matched |> Array.choose id |> Array.sort |> List.ofArray)
        for c in concurrent do
            let probabilities = c |> Array.chunkBySize 3
            Assert.All(probabilities, fun p -> Assert.Equal(1.0, Array.sum p, 5))

[<Fact>]
let ``a prediction without gradients gives bit for bit the draws of the forward pass with gradients, and leaves the inputs alive`` () =
    // Without gradients ForwardDraws and Predict run the layers one by one, freeing each layer's input, and BayesLinear's
    // local reparameterization works in place: the same operations, so from the same seed the same numbers.
    engine ()
    let lrt = BayesDL.Layers.BayesLayerOptions(BayesDL.Layers.GradientEstimator.LocalReparameterization, InitialRho = -2.0)
    use net =
        BayesianNetwork.Create(Likelihood.Categorical(), BayesDL.Layers.BayesNN.BayesLinear(16L, 8L, lrt), torch.nn.ReLU(),
            torch.nn.Identity(), BayesDL.Layers.BayesNN.BayesLinear(8L, 3L, lrt))
    use x = torch.rand(5L, 16L)
    for draws in [ 1; 4 ] do
        NativeEngine.Seed 3L
        use recorded = net.ForwardDraws(x, draws)
        Assert.True(recorded.requires_grad, "the reference pass should record gradients (the out-of-place formulation)")
        NativeEngine.Seed 3L
        use freed = (use _ = torch.no_grad() in net.ForwardDraws(x, draws))
        Assert.Equal<float[]>(values recorded, values freed)
        NativeEngine.Seed 3L
        use predicted = net.Predict(x, draws)
        use expected = recorded.detach().softmax(-1L)
        Assert.Equal<float[]>(values expected, values predicted.Samples)
        Assert.Equal(80, (values x).Length)   // the caller's inputs (the pass's own input when draws = 1) are not freed

[<Fact>]
let ``a prediction in several chunks gives bit for bit the chunks' forward passes with gradients, whatever the row block`` () =
    // Without gradients, Predict runs a local-reparameterization BayesLinear on the unrepeated inputs when it comes first
    // (means and variances once per input), its temporaries in row blocks (NoGradBlockRows), its output and the ReLU after
    // it in buffers reused from chunk to chunk; the noise of a chunk is drawn in one call, as the pass with gradients draws
    // it on the repeated inputs. So from the same seed: the same numbers for every block size, in every chunk. (Blocks of at
    // least 64 rows: matrix products of a few rows may round differently, see BayesLinear.NoGradBlockRows.)
    engine ()
    let lrt = BayesDL.Layers.BayesLayerOptions(BayesDL.Layers.GradientEstimator.LocalReparameterization, InitialRho = -2.0)
    let layers = [ BayesDL.Layers.BayesNN.BayesLinear(16L, 24L, lrt); BayesDL.Layers.BayesNN.BayesLinear(24L, 24L, lrt)
                   BayesDL.Layers.BayesNN.BayesLinear(24L, 3L, lrt) ]
    use net = BayesianNetwork.Create(Likelihood.Categorical(), layers[0], torch.nn.ReLU(), layers[1], torch.nn.ReLU(), layers[2])
    use x = torch.rand(200L, 16L)
    net.PredictRowBudget <- 800L      // 4 draws of the 200 inputs per chunk: 11 draws run as chunks of 4, 4 and 3
    NativeEngine.Seed 5L
    let expected =
        [| for draws in [ 4; 4; 3 ] do
               use recorded = net.ForwardDraws(x, draws)
               Assert.True(recorded.requires_grad, "the reference pass should record gradients (repeated inputs, no blocks)")
               use probabilities = recorded.detach().softmax(-1L)
               yield! values probabilities |]
    // 128: blocks of 100 (first layer) and 114-115 or 120 rows; 300: 200, 266-267 or 300; 1,024: one block per layer.
    for block in [ 128L; 300L; 1024L ] do
        for layer in layers do
            layer.NoGradBlockRows <- block
        NativeEngine.Seed 5L
        use predicted = net.Predict(x, 11)
        Assert.Equal<float[]>(expected, values predicted.Samples)
    Assert.Equal(3200, (values x).Length)   // the caller's inputs are not freed
