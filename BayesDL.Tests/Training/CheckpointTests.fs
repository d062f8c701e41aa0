/// Training checkpoints (TrainerOptions.Checkpoint, CheckpointOptions): a run interrupted after epoch k and resumed into a
/// fresh model and trainer ends bitwise equal to the uninterrupted run; a failed write leaves the previous checkpoint
/// intact; a checkpoint of another architecture or other options is refused naming the difference, loading nothing.
/// The same for a caller's loss over parameters (Trainer.Fit over parameters), every builder fit (variational, MC and concrete
/// dropout, VAE, conditional VAE, M2) and ensembles (one checkpoint for all members, killed in the middle of member 3 of 5).
module BayesDL.Tests.Training.CheckpointTests

open System
open System.IO
open Xunit
open TorchSharp
open BayesDL.Builders
open BayesDL.Data
open BayesDL.Dsl
open BayesDL.Engine
open BayesDL.Layers
open BayesDL.Models
open BayesDL.Objectives
open BayesDL.Training
open BayesDL.Tests.TestSupport
open BayesDL.Predictive

let private setup () =
    engineOneThread ()

/// A Bayes-by-Backprop classifier (weight noise on every forward pass) with the given hidden width and init seed.
let private classifier (hidden: int64) (seed: int64) =
    NativeEngine.Seed seed
    BayesianNetwork.Create(Likelihood.Categorical(), BayesNN.BayesLinear(2L, hidden), torch.nn.ReLU(), BayesNN.BayesLinear(hidden, 2L))

let private blobs n =
    NativeEngine.Seed 8L
    let y = torch.randint(2L, [| int64 n |], dtype = torch.ScalarType.Int64)
    let x = torch.randn(int64 n, 2L) * 0.5 + (y.to_type(torch.ScalarType.Float32) * 3.0 - 1.5).unsqueeze(1)
    new LabeledData(x, y)

/// Every state-dict entry (parameters and buffers) by name, as float64 values (exact for float32).
let private state (m: torch.nn.Module) =
    m.state_dict() |> Seq.map (fun kv -> kv.Key, values kv.Value) |> List.ofSeq

/// The reports without their wall time, which differs between runs.
let private rows (reports: seq<EpochReport>) =
    reports |> Seq.map (fun r -> r.Epoch, r.Elbo, r.MeanLoss, r.KL) |> List.ofSeq

/// Moves the global generator away from where the interrupted run left it, as a new process would.
let private scrambleEngine () =
    NativeEngine.Seed 12345L
    torch.randn(17L).Dispose()

exception private Killed of int

/// The tests' trainer settings (F# has no copy-and-update for C# records).
let private settings (epochs: int) (kind: OptimizerKind) (learningRate: float) (checkpoint: CheckpointOptions) =
    TrainerOptions(Epochs = epochs, BatchSize = 16, Optimizer = kind, LearningRate = learningRate, Seed = 3L, Checkpoint = checkpoint)

[<Theory>]
[<InlineData(0, 1, 2)>] // Adam: its moments m, v and step count t must be restored
[<InlineData(2, 1, 2)>] // SGD with Nesterov momentum: its momentum buffers must be restored
[<InlineData(0, 2, 3)>] // checkpoints every 2 epochs, killed after epoch 3: epoch 3 is trained again from epoch 2's checkpoint
let ``a killed Bayes-by-Backprop run resumed into a fresh model and trainer equals the uninterrupted run bitwise``
        (optimizer: int, everyEpochs: int, killedAfter: int) =
    setup ()
    use dir = new TempDir()
    use data = blobs 64
    let kind = enum<OptimizerKind> optimizer
    use straight = classifier 8L 1L
    let expected = Trainer(settings 4 kind 0.02 null).Fit(straight, data)
    let checkpointed = settings 4 kind 0.02 (CheckpointOptions(dir.File "run.ckpt", EveryEpochs = everyEpochs))
    // The first run dies after epoch killedAfter (after that epoch's checkpoint, if one was due, was written).
    use first = classifier 8L 1L
    Assert.Throws<Killed>(fun () ->
        Trainer(checkpointed).Fit(first, data, onEpoch = fun e -> if e.Epoch = killedAfter then raise (Killed e.Epoch)) |> ignore) |> ignore
    // The restart: another initialisation (so nothing of the model survives unless loaded) and a moved generator.
    scrambleEngine ()
    use resumed = classifier 8L 99L
    let epochsRun = ResizeArray()
    let reports = Trainer(checkpointed).Fit(resumed, data, onEpoch = fun e -> epochsRun.Add e.Epoch)
    let lastCheckpoint = killedAfter - killedAfter % everyEpochs
    Assert.Equal<int list>([ lastCheckpoint + 1 .. 4 ], List.ofSeq epochsRun)
    Assert.Equal<(int * float * float * float) list>(rows expected, rows reports)
    Assert.Equal<(string * float[]) list>(state straight, state resumed)

[<Fact>]
let ``an MC dropout fit from the builder resumes from its checkpoint exactly, and the DSL maps checkpoint to it`` () =
    setup ()
    use dir = new TempDir()
    use data = blobs 48
    let declaration () =
        NativeEngine.Seed 5L
        ModelBuilder.Sequential().Linear(2L, 12L).Relu().Linear(12L, 2L)
            .WithLikelihood(Likelihoods.Categorical()).WithVariational(VariationalFamily.Dropout(0.3)).Build(ComputePolicy.Cpu)
    let fit epochs checkpoint =
        MCDropoutFitOptions(Epochs = epochs, BatchSize = 16, LearningRate = 0.01, Seed = 4L, LengthScale = 1.5,
                            Checkpoint = (match checkpoint with Some p -> CheckpointOptions(p) | None -> null))
    use straight = declaration ()
    let expected = straight.FitMCDropout(data, fit 4 None)
    let path = dir.File "dropout.ckpt"
    use first = declaration ()
    first.FitMCDropout(data, fit 2 (Some path)) |> ignore
    scrambleEngine ()
    use resumed = declaration ()
    // The DSL's `checkpoint` is the same option.
    let settings = mcDropout { epochs 4; batchSize 16; learningRate 0.01; seed 4L; lengthScale 1.5; checkpoint path }
    Assert.Equal(fit 4 (Some path), settings.ToOptions())
    Assert.Equal(CheckpointOptions(path), (vi { checkpoint path }).ToOptions().Checkpoint)
    let reports = resumed.FitMCDropout(data, settings.ToOptions())
    Assert.Equal<(int * float * float * float) list>(rows expected, rows reports)
    Assert.Equal<(string * float[]) list>(state straight.Network, state resumed.Network)

[<Fact>]
let ``a variational fit with KL warm-up and several weight samples resumes exactly: the warm-up continues from the restored step`` () =
    setup ()
    use dir = new TempDir()
    use data = blobs 48
    let declaration () =
        NativeEngine.Seed 5L
        ModelBuilder.Sequential().BayesLinear(2L, 12L).Relu().BayesLinear(12L, 2L)
            .WithLikelihood(Likelihoods.Categorical()).WithVariational(VariationalFamily.MeanField).Build(ComputePolicy.Cpu)
    // The KL weight rises over 3 epochs, so epochs 3 and 4 differ unless the step count is restored.
    let fit epochs (checkpoint: CheckpointOptions) =
        VariationalFitOptions(Epochs = epochs, BatchSize = 16, LearningRate = 0.02, Seed = 6L, WeightSamples = 2, KLWarmupEpochs = 3,
                              Checkpoint = checkpoint)
    use straight = declaration ()
    let expected = straight.Fit(data, fit 4 null)
    let path = dir.File "vi.ckpt"
    use first = declaration ()
    first.Fit(data, fit 2 (CheckpointOptions(path))) |> ignore
    scrambleEngine ()
    use resumed = declaration ()
    let reports = resumed.Fit(data, fit 4 (CheckpointOptions(path)))
    Assert.Equal<(int * float * float * float) list>(rows expected, rows reports)
    Assert.Equal<(string * float[]) list>(state straight.Network, state resumed.Network)
    // Another warm-up is another objective: refused, naming it.
    use other = declaration ()
    let e = Assert.Throws<BayesDL.Validation.FileFormatException>(fun () ->
        other.Fit(data, VariationalFitOptions(Epochs = 4, BatchSize = 16, LearningRate = 0.02, Seed = 6L,
                                              WeightSamples = 2, KLWarmupEpochs = 1,
                                              Checkpoint = CheckpointOptions(path))) |> ignore)
    Assert.Contains("the objective is", e.Message)
    Assert.Contains("\"KLWarmupEpochs\":1", e.Message)

exception private DiskFull

[<Fact>]
let ``a checkpoint write that fails midway leaves the previous checkpoint intact and loadable and no temporary file`` () =
    setup ()
    use dir = new TempDir()
    use data = blobs 32
    let path = dir.File "run.ckpt"
    let options = settings 3 OptimizerKind.Adam 0.02 (CheckpointOptions(path))
    let mutable afterFirst = [||]
    let mutable firstReport = None
    let trainer = Trainer(options)
    let mutable writes = 0
    // The second write dies after the model state, before the optimizer state.
    trainer.CheckpointWriteHook <- Action<BinaryWriter>(fun _ -> writes <- writes + 1; if writes = 2 then raise DiskFull)
    use model = classifier 8L 1L
    Assert.Throws<DiskFull>(fun () ->
        trainer.Fit(model, data, onEpoch = fun e ->
            if e.Epoch = 1 then
                afterFirst <- File.ReadAllBytes path
                firstReport <- Some e) |> ignore) |> ignore
    Assert.Equal(2, writes)
    Assert.Equal<byte[]>(afterFirst, File.ReadAllBytes path)
    Assert.Equal<string list>([ path ], Directory.GetFiles dir.Path |> List.ofArray)
    // Loadable: a fresh trainer continues after epoch 1, reporting epoch 1 from the file.
    use fresh = classifier 8L 99L
    let reports = Trainer(options).Fit(fresh, data)
    Assert.Equal<(int * float * float * float) list>(rows [ firstReport.Value ], rows (Seq.truncate 1 reports))
    Assert.Equal(3, reports.Count)

[<Fact>]
let ``resuming into another architecture or with other options names what differs and loads nothing`` () =
    setup ()
    use dir = new TempDir()
    use data = blobs 32
    let path = dir.File "run.ckpt"
    let adam epochs learningRate checkpoint = settings epochs OptimizerKind.Adam learningRate checkpoint
    use small = classifier 8L 1L
    Trainer(adam 1 0.02 (CheckpointOptions(path))).Fit(small, data) |> ignore
    use wide = classifier 16L 2L
    let before = state wide
    let e =
        Assert.Throws<BayesDL.Validation.FileFormatException>(fun () ->
            Trainer(adam 2 0.02 (CheckpointOptions(path))).Fit(wide, data) |> ignore)
    // The first entry whose shape differs, named with both shapes.
    let name, savedShape, modelShape =
        Seq.zip (small.state_dict()) (wide.state_dict())
        |> Seq.map (fun (s, w) -> s.Key, s.Value.shape, w.Value.shape)
        |> Seq.find (fun (_, s, w) -> s <> w)
    let show (shape: int64[]) = "[" + String.Join(", ", shape) + "]"
    Assert.Contains($"'{name}' has shape {show savedShape} in the checkpoint but {show modelShape} in the model", e.Message)
    Assert.Equal<(string * float[]) list>(before, state wide)
    // Same architecture, another learning rate.
    use same = classifier 8L 2L
    let e2 = Assert.Throws<BayesDL.Validation.FileFormatException>(fun () ->
        Trainer(adam 2 0.05 (CheckpointOptions(path))).Fit(same, data) |> ignore)
    Assert.Contains("the learning rate is 0.02 in the checkpoint but 0.05 in this run", e2.Message)
    // Resume = false starts afresh and overwrites the file.
    use again = classifier 16L 2L
    Assert.Equal(2, Trainer(adam 2 0.02 (CheckpointOptions(path, Resume = false))).Fit(again, data).Count)

/// A tiny VAE (6 Bernoulli features, one hidden layer of 8) with the given latent size, its weights drawn from seed.
let private tinyVae (latent: int64) (seed: int64) =
    NativeEngine.Seed seed
    ComputePolicy.Cpu.Apply(new Vae(VaeNetworks.MlpEncoder(6L, 8L), 8L, VaeNetworks.MlpDecoder(latent, [| 8L |], 6L),
                                    BernoulliDecoder(), 6L, latent))

let private parameterValues (m: torch.nn.Module) = m.parameters() |> Seq.map values |> List.ofSeq

/// 40 rows in [0, 1]: 5 steps per epoch at batch 8, so the shuffle, the KL warm-up (over 8 steps) and Adam all matter.
let private tinyRows () =
    NativeEngine.Seed 21L
    torch.rand(40L, 6L)

let private vaeLoss (vae: Vae) (x: torch.Tensor) =
    let elbo = VaeElboOptions(WarmupSteps = 8L)
    fun (idx: torch.Tensor) (position: BatchPosition) -> vae.Elbo(x.index(idx), elbo, position.GlobalStep).Loss

/// Trainer settings for a caller's loss over a tiny VAE's parameters: batch 8, Adam 0.01 (or `learningRate`), seed 3.
let private lossOptions (epochs: int) (learningRate: float) (checkpoint: CheckpointOptions) =
    TrainerOptions(Epochs = epochs, BatchSize = 8, LearningRate = learningRate, Seed = 3L, Checkpoint = checkpoint)

let private meanLosses (reports: seq<EpochReport>) = reports |> Seq.map (fun r -> r.MeanLoss) |> List.ofSeq

[<Fact>]
let ``a killed loss-over-parameters run resumed into a fresh VAE equals the uninterrupted run bitwise: weights, Adam, generator, step``
    ()
    =
    setup ()
    use dir = new TempDir()
    use x = tinyRows ()
    let straight = tinyVae 2L 1L
    let expected = Trainer(lossOptions 4 0.01 null).Fit(straight.parameters(), 40L, vaeLoss straight x)
    let path = dir.File "vae.ckpt"
    // The first run dies after epoch 2, after that epoch's checkpoint was written.
    let first = tinyVae 2L 1L
    Assert.Throws<Killed>(fun () ->
        Trainer(lossOptions 4 0.01 (CheckpointOptions(path))).Fit(first.parameters(), 40L, vaeLoss first x,
                onEpoch = fun (e: EpochReport) -> if e.Epoch = 2 then raise (Killed e.Epoch)) |> ignore) |> ignore
    scrambleEngine ()
    let resumed = tinyVae 2L 99L
    let epochsRun = ResizeArray()
    let reports = Trainer(lossOptions 4 0.01 (CheckpointOptions(path))).Fit(resumed.parameters(), 40L, vaeLoss resumed x,
                                                                            onEpoch = fun (e: EpochReport) -> epochsRun.Add e.Epoch)
    Assert.Equal<int list>([ 3; 4 ], List.ofSeq epochsRun)
    Assert.Equal<(int * float * float * float) list>(rows expected, rows reports)
    Assert.Equal<float[] list>(parameterValues straight, parameterValues resumed)

[<Fact>]
let ``a loss-over-parameters checkpoint of another latent size or learning rate is refused naming parameter and shapes, loading nothing``
    ()
    =
    setup ()
    use dir = new TempDir()
    use x = tinyRows ()
    let path = dir.File "vae.ckpt"
    let small = tinyVae 2L 1L
    Trainer(lossOptions 1 0.01 (CheckpointOptions(path))).Fit(small.parameters(), 40L, vaeLoss small x) |> ignore
    let wide = tinyVae 3L 2L
    let before = parameterValues wide
    let e = Assert.Throws<BayesDL.Validation.FileFormatException>(fun () ->
        Trainer(lossOptions 2 0.01 (CheckpointOptions(path))).Fit(wide.parameters(), 40L, vaeLoss wide x) |> ignore)
    let index, savedShape, modelShape =
        Seq.zip (small.parameters()) (wide.parameters())
        |> Seq.mapi (fun i (s, w) -> i, s.shape, w.shape)
        |> Seq.find (fun (_, s, w) -> s <> w)
    let show (shape: int64[]) = "[" + String.Join(", ", shape) + "]"
    Assert.Contains($"'parameter {index}' has shape {show savedShape} in the checkpoint but {show modelShape} in the model", e.Message)
    Assert.Equal<float[] list>(before, parameterValues wide)
    let same = tinyVae 2L 2L
    let e2 = Assert.Throws<BayesDL.Validation.FileFormatException>(fun () ->
        Trainer(lossOptions 2 0.02 (CheckpointOptions(path))).Fit(same.parameters(), 40L, vaeLoss same x) |> ignore)
    Assert.Contains("the learning rate is 0.01 in the checkpoint but 0.02 in this run", e2.Message)
    // A Trainer checkpoint is not one of the VAE family's fits: refused by its kind.
    let trainerPath = dir.File "bnn.ckpt"
    use data = blobs 16
    use bnn = classifier 4L 1L
    Trainer(settings 1 OptimizerKind.Adam 0.02 (CheckpointOptions(trainerPath))).Fit(bnn, data) |> ignore
    let e3 = Assert.Throws<BayesDL.Validation.FileFormatException>(fun () ->
        VaeFitting.Fit(same, x, VariationalFitOptions(Epochs = 2, BatchSize = 8, LearningRate = 0.01, Seed = 3L,
                                                      Checkpoint = CheckpointOptions(trainerPath))) |> ignore)
    Assert.Contains("expected a checkpoint of kind VaeFamily", e3.Message)
    Assert.Contains("found kind Trainer", e3.Message)
    Assert.Equal(trainerPath, e3.Path)

[<Fact>]
let ``a builder VAE fit with KL warm-up and several z draws resumes from its checkpoint exactly, and refuses another warm-up`` () =
    setup ()
    use dir = new TempDir()
    use x = tinyRows ()
    let declaration = ModelBuilder.Vae(ModelBuilder.Sequential().Linear(6L, 8L).Relu(),
                                       ModelBuilder.Sequential().Linear(2L, 8L).Relu().Linear(8L, 6L), 2L)
    let fit epochs (checkpoint: CheckpointOptions) =
        VariationalFitOptions(Epochs = epochs, BatchSize = 8, LearningRate = 0.01, Seed = 6L, WeightSamples = 2, KLWarmupEpochs = 3,
                              Checkpoint = checkpoint)
    NativeEngine.Seed 5L
    let expected = declaration.Fit(x, fit 4 null, ComputePolicy.Cpu)
    let path = dir.File "vae.ckpt"
    NativeEngine.Seed 5L
    declaration.Fit(x, fit 2 (CheckpointOptions(path)), ComputePolicy.Cpu) |> ignore
    // The resumed fit builds its model from other initial weights: only the checkpoint can make it equal.
    NativeEngine.Seed 77L
    let resumed = declaration.Fit(x, fit 4 (CheckpointOptions(path)), ComputePolicy.Cpu)
    Assert.Equal<float list>(List.ofSeq expected.EpochLosses, List.ofSeq resumed.EpochLosses)
    Assert.Equal<float[] list>(parameterValues expected.Model, parameterValues resumed.Model)
    // Another warm-up is another objective: refused, naming it.
    let e = Assert.Throws<BayesDL.Validation.FileFormatException>(fun () ->
        declaration.Fit(x, VariationalFitOptions(Epochs = 4, BatchSize = 8, LearningRate = 0.01, Seed = 6L,
                                                 WeightSamples = 2, KLWarmupEpochs = 1,
                                                 Checkpoint = CheckpointOptions(path)), ComputePolicy.Cpu) |> ignore)
    Assert.Contains("the objective is", e.Message)
    Assert.Contains("\"KLWarmupEpochs\":1", e.Message)

[<Fact>]
let ``an M2 fit resumes exactly: its labelled minibatches continue from the restored step`` () =
    setup ()
    use dir = new TempDir()
    NativeEngine.Seed 21L
    use data = new LabeledData(torch.rand(24L, 6L), torch.randint(3L, [| 24L |], dtype = torch.ScalarType.Int64))
    use unlabelled = torch.rand(40L, 6L)
    let declaration =
        ModelBuilder.Vae(ModelBuilder.Sequential().Linear(9L, 8L).Relu(),
                         ModelBuilder.Sequential().Linear(5L, 8L).Relu().Linear(8L, 6L), 2L)
            .Conditional(3).SemiSupervised(ModelBuilder.Sequential().Linear(6L, 8L).Relu().Linear(8L, 3L), alpha = 10.0)
    // 5 unlabelled steps per epoch, 3 labelled minibatches per permutation: epoch 3 starts at step 10,
    // mid-permutation (the 4th, minibatch 2).
    let fit epochs (checkpoint: CheckpointOptions) =
        VariationalFitOptions(Epochs = epochs, BatchSize = 8, LearningRate = 0.01, Seed = 2L, Checkpoint = checkpoint)
    NativeEngine.Seed 32L
    let expected = declaration.Fit(data, unlabelled, fit 4 null, ComputePolicy.Cpu)
    let path = dir.File "m2.ckpt"
    NativeEngine.Seed 32L
    declaration.Fit(data, unlabelled, fit 2 (CheckpointOptions(path)), ComputePolicy.Cpu) |> ignore
    NativeEngine.Seed 77L
    let resumed = declaration.Fit(data, unlabelled, fit 4 (CheckpointOptions(path)), ComputePolicy.Cpu)
    Assert.Equal<float list>(List.ofSeq expected.EpochLosses, List.ofSeq resumed.EpochLosses)
    Assert.Equal<float[] list>(parameterValues expected.Model, parameterValues resumed.Model)

[<Fact>]
let ``a conditional VAE fit resumes from its checkpoint exactly`` () =
    setup ()
    use dir = new TempDir()
    NativeEngine.Seed 21L
    use data = new LabeledData(torch.rand(40L, 6L), torch.randint(3L, [| 40L |], dtype = torch.ScalarType.Int64))
    let declaration =
        ModelBuilder.Vae(ModelBuilder.Sequential().Linear(9L, 8L).Relu(),
                         ModelBuilder.Sequential().Linear(5L, 8L).Relu().Linear(8L, 6L), 2L).Conditional(3)
    let fit epochs (checkpoint: CheckpointOptions) =
        VariationalFitOptions(Epochs = epochs, BatchSize = 8, LearningRate = 0.01, Seed = 2L, KLWarmupEpochs = 2, Checkpoint = checkpoint)
    NativeEngine.Seed 32L
    let expected = declaration.Fit(data, fit 4 null, ComputePolicy.Cpu)
    let path = dir.File "cvae.ckpt"
    NativeEngine.Seed 32L
    declaration.Fit(data, fit 2 (CheckpointOptions(path)), ComputePolicy.Cpu) |> ignore
    scrambleEngine ()
    NativeEngine.Seed 77L
    let resumed = declaration.Fit(data, fit 4 (CheckpointOptions(path)), ComputePolicy.Cpu)
    Assert.Equal<float list>(List.ofSeq expected.EpochLosses, List.ofSeq resumed.EpochLosses)
    Assert.Equal<(string * float[]) list>(state expected.Model, state resumed.Model)

[<Fact>]
let ``a concrete dropout fit resumes from its checkpoint exactly, learned dropout rates included`` () =
    setup ()
    use dir = new TempDir()
    use data = blobs 48
    let declaration () =
        NativeEngine.Seed 5L
        ModelBuilder.Sequential().Linear(2L, 12L).Relu().Linear(12L, 2L)
            .WithLikelihood(Likelihoods.Categorical()).WithVariational(VariationalFamily.ConcreteDropout).Build(ComputePolicy.Cpu)
    let fit epochs (checkpoint: CheckpointOptions) =
        VariationalFitOptions(Epochs = epochs, BatchSize = 16, LearningRate = 0.05, Seed = 6L, Checkpoint = checkpoint)
    use straight = declaration ()
    let expected = straight.Fit(data, fit 4 null)
    let rates (m: BuiltModel) =
        m.Network.Body.modules()
        |> Seq.choose (function :? VariationalConcreteDropout as d -> Some d.DropoutProbability | _ -> None) |> List.ofSeq
    // The rates moved away from their initial 0.1, so a resume that lost them would show.
    Assert.All(rates straight, fun p -> Assert.NotEqual(0.1, p))
    let path = dir.File "concrete.ckpt"
    // As if killed after epoch 2: the file holds epochs 1 and 2.
    use first = declaration ()
    first.Fit(data, fit 2 (CheckpointOptions(path))) |> ignore
    scrambleEngine ()
    use resumed = declaration ()
    let reports = resumed.Fit(data, fit 4 (CheckpointOptions(path)))
    Assert.Equal<(int * float * float * float) list>(rows expected, rows reports)
    Assert.Equal<(string * float[]) list>(state straight.Network, state resumed.Network)
    Assert.Equal<float list>(rates straight, rates resumed)

[<Fact>]
let ``an ensemble fit killed in the middle of member 3 of 5 resumes into the uninterrupted ensemble bitwise, not retraining members 1, 2``
    ()
    =
    setup ()
    use dir = new TempDir()
    use data = blobs 48
    let declaration = ModelBuilder.Sequential().Linear(2L, 8L).Relu().Linear(8L, 2L).WithLikelihood(Likelihoods.Categorical())
    let options (checkpoint: CheckpointOptions) =
        EnsembleFitOptions(Members = 5, Epochs = 3, BatchSize = 16, LearningRate = 0.02, Seed = 4L,
                           AdversarialEpsilon = 0.05, Checkpoint = checkpoint)
    let memberStates (r: EnsembleFitResult) = r.Ensemble.Members |> Seq.map state |> List.ofSeq
    let losses (r: EnsembleFitResult) = r.MemberLosses |> Seq.map List.ofSeq |> List.ofSeq
    let expected = declaration.FitEnsemble(data, options null, ComputePolicy.Cpu)
    let path = dir.File "ensemble.ckpt"
    // The test hook: the epoch callback throws after member 3's second epoch (its checkpoint written).
    Assert.Throws<Killed>(fun () ->
        declaration.FitEnsemble(data, options (CheckpointOptions(path)), ComputePolicy.Cpu,
                                Action<int, EpochReport>(fun m e -> if m = 2 && e.Epoch = 2 then raise (Killed e.Epoch)))
                                |> ignore) |> ignore
    scrambleEngine ()
    let trained = ResizeArray()
    let resumed = declaration.FitEnsemble(data, options (CheckpointOptions(path)), ComputePolicy.Cpu, Action<int,
                                          EpochReport>(fun m e -> trained.Add((m, e.Epoch))))
    // Members 1 and 2 come from the checkpoint, member 3 continues with its third epoch, members 4 and 5 train afresh.
    Assert.Equal<(int * int) list>([ 2, 3; 3, 1; 3, 2; 3, 3; 4, 1; 4, 2; 4, 3 ], List.ofSeq trained)
    Assert.Equal<float list list>(losses expected, losses resumed)
    Assert.Equal<(string * float[]) list list>(memberStates expected, memberStates resumed)
    // The members differ (seeds Seed + m), so a mix-up of members would show.
    Assert.NotEqual<(string * float[]) list>((memberStates expected)[0], (memberStates expected)[1])
    // A checkpoint of this ensemble refuses another member count, naming it; a VAE checkpoint is refused by its kind.
    let e = Assert.Throws<BayesDL.Validation.FileFormatException>(fun () ->
        declaration.FitEnsemble(data, EnsembleFitOptions(Members = 6, Epochs = 3, BatchSize = 16, LearningRate = 0.02,
                                                         Seed = 4L, AdversarialEpsilon = 0.05,
                                                         Checkpoint = CheckpointOptions(path)), ComputePolicy.Cpu) |> ignore)
    Assert.Contains("the number of members is 5 in the checkpoint but 6 in this run", e.Message)
    let trainerPath = dir.File "bnn.ckpt"
    do
        use bnn = classifier 4L 1L
        Trainer(settings 1 OptimizerKind.Adam 0.02 (CheckpointOptions(trainerPath))).Fit(bnn, data) |> ignore
    let e2 = Assert.Throws<BayesDL.Validation.FileFormatException>(fun () ->
        declaration.FitEnsemble(data, options (CheckpointOptions(trainerPath)), ComputePolicy.Cpu) |> ignore)
    Assert.Contains("expected a checkpoint of kind Ensemble", e2.Message)
    Assert.Contains("found kind Trainer", e2.Message)

[<Fact>]
let ``a run with a cosine learning-rate schedule and Nesterov momentum resumes exactly, and refuses another schedule`` () =
    setup ()
    use dir = new TempDir()
    use data = blobs 64
    let options schedule (checkpoint: CheckpointOptions) =
        TrainerOptions(Epochs = 4, BatchSize = 16, Optimizer = OptimizerKind.SgdMomentum, LearningRate = 0.05,
                       Seed = 3L, Checkpoint = checkpoint,
                       Schedule = schedule)
    let cosine = LearningRateSchedule.Cosine(0.1)
    use straight = classifier 8L 1L
    let expected = Trainer(options cosine null).Fit(straight, data)
    let path = dir.File "cosine.ckpt"
    use first = classifier 8L 1L
    Assert.Throws<Killed>(fun () ->
        Trainer(options cosine (CheckpointOptions(path)))
            .Fit(first, data, onEpoch = fun e -> if e.Epoch = 2 then raise (Killed 2)) |> ignore) |> ignore
    scrambleEngine ()
    use resumed = classifier 8L 99L
    let rates = ResizeArray()
    let reports = Trainer(options cosine (CheckpointOptions(path))).Fit(resumed, data, onStep = fun s -> rates.Add s.LearningRate)
    Assert.Equal<(int * float * float * float) list>(rows expected, rows reports)
    Assert.Equal<(string * float[]) list>(state straight, state resumed)
    // The resumed steps 9..16 of 16 continue the schedule: 0.05 (0.1 + 0.9 (1 + cos(pi t / 16)) / 2) for t = 8..15.
    Assert.Equal<float list>([ for t in 8 .. 15 -> 0.05 * (0.1 + (1.0 - 0.1) * (1.0 + cos (Math.PI * float t / 16.0)) / 2.0) ],
                             List.ofSeq rates)
    use other = classifier 8L 2L
    let e = Assert.Throws<BayesDL.Validation.FileFormatException>(fun () ->
        Trainer(options (LearningRateSchedule.Step(1, 0.5)) (CheckpointOptions(path))).Fit(other, data) |> ignore)
    Assert.Contains("the learning-rate schedule is Cosine(minimum factor 0.1) in the checkpoint but Step(every 1 epochs, \
                     factor 0.5) in this run", e.Message)

// Corrupt and old checkpoints of both kinds: one FileFormatException naming the file, never a native abort (issue 12).

/// A Trainer checkpoint after one epoch (its path), and a function resuming from it into a fresh model.
let private trainerCheckpoint (dir: TempDir) =
    let path = dir.File "run.ckpt"
    let options = settings 2 OptimizerKind.Adam 0.02 (CheckpointOptions(path))
    use data = blobs 32
    use model = classifier 8L 1L
    Trainer(settings 1 OptimizerKind.Adam 0.02 (CheckpointOptions(path))).Fit(model, data) |> ignore
    let resume () =
        use data = blobs 32
        use fresh = classifier 8L 99L
        Trainer(options).Fit(fresh, data) |> ignore
    path, resume

/// A VAE fit's checkpoint (kind VaeFamily) after one epoch, and a function resuming from it.
let private vaeCheckpoint (dir: TempDir) =
    let path = dir.File "vae.ckpt"
    let options epochs = VariationalFitOptions(Epochs = epochs, BatchSize = 8, LearningRate = 0.01, Seed = 3L,
                                               Checkpoint = CheckpointOptions(path))
    use x = tinyRows ()
    let vae = tinyVae 2L 1L
    VaeFitting.Fit(vae, x, options 1) |> ignore
    let resume () =
        use x = tinyRows ()
        let fresh = tinyVae 2L 99L
        VaeFitting.Fit(fresh, x, options 2) |> ignore
    path, resume

let private refusedCheckpoint (path: string) (resume: unit -> unit) =
    let e = Assert.Throws<BayesDL.Validation.FileFormatException>(resume)
    Assert.Equal(path, e.Path)
    e

[<Theory>]
[<InlineData("trainer")>]
[<InlineData("vae")>]
let ``a checkpoint cut short by its last byte, or anywhere, is a FileFormatException naming the file, not a native abort`` (kind: string) =
    setup ()
    use dir = new TempDir()
    let path, resume = if kind = "trainer" then trainerCheckpoint dir else vaeCheckpoint dir
    let bytes = File.ReadAllBytes path
    // The last byte (the end of the generator state, which the engine would abort on), then cuts all through the file.
    File.WriteAllBytes(path, bytes[.. bytes.Length - 2])
    Assert.Contains("truncated", (refusedCheckpoint path resume).Found)
    for length in [ 0; 10; 30; 100; bytes.Length / 3; bytes.Length / 2; bytes.Length - 100 ] do
        File.WriteAllBytes(path, bytes[.. length - 1])
        refusedCheckpoint path resume |> ignore

[<Theory>]
[<InlineData("trainer")>]
[<InlineData("vae")>]
let ``a checkpoint with bytes overwritten is refused by its checksum instead of resuming from corrupt state`` (kind: string) =
    setup ()
    use dir = new TempDir()
    let path, resume = if kind = "trainer" then trainerCheckpoint dir else vaeCheckpoint dir
    let bytes = File.ReadAllBytes path
    for offset in [ bytes.Length / 2; bytes.Length - 40 ] do
        let changed = Array.copy bytes
        changed[offset] <- changed[offset] ^^^ 0x04uy
        File.WriteAllBytes(path, changed)
        let e = refusedCheckpoint path resume
        Assert.Contains("SHA-256", e.Expected)
        Assert.Contains("corrupt", e.Found)

/// The optimizer the Trainer makes for a kind (Adam, or SGD with Nesterov momentum).
let private optimizerFor (kind: OptimizerKind) (m: torch.nn.Module) : torch.optim.Optimizer =
    if kind = OptimizerKind.Adam then torch.optim.Adam(m.parameters(), 0.02)
    else torch.optim.SGD(m.parameters(), 0.02, momentum = 0.9, nesterov = true)

/// An optimizer's state as it saves it (its moments, momentum buffers and step counts, byte for byte).
let private optimizerBytes (optimizer: torch.optim.Optimizer) =
    use stream = new MemoryStream()
    do
        use writer = new BinaryWriter(stream, Text.Encoding.UTF8, true)
        (optimizer :?> Modules.OptimizerHelper).save_state_dict writer
    stream.ToArray()

/// Writes a Trainer checkpoint through the format's own writer (a valid checksum) after <c>spoil</c> changed the model or
/// its optimizer (of <c>kind</c>), then loads it into a fresh model and optimizer: the load's FileFormatException, after
/// checking that it named the file and that the fresh model's state and optimizer state are unchanged (nothing loaded).
let private refusedSpoiledCheckpoint (kind: OptimizerKind) (spoil: torch.nn.Module -> torch.optim.Optimizer -> unit) =
    use dir = new TempDir()
    let path = dir.File "spoiled.ckpt"
    let checkpointState (m: torch.nn.Module) =
        TrainingCheckpoint.State(m.state_dict() |> Seq.map (fun kv -> struct (kv.Key, kv.Value)) |> List.ofSeq
                                 |> ResizeArray, optimizerFor kind m)
    use written = classifier 8L 2L
    let saved = checkpointState written
    do
        use _ = torch.no_grad ()
        spoil written saved.Optimizer
    let header = TrainingCheckpoint.Describe(CheckpointKind.Trainer, saved, 1, 2L, [], reports = [ EpochReport(1, 0.0, 0.0, 0.0, 0.0) ])
    TrainingCheckpoint.Write(path, header, saved)
    use fresh = classifier 8L 99L
    let target = checkpointState fresh
    let modelBefore, optimizerBefore = state fresh, optimizerBytes target.Optimizer
    let e = Assert.Throws<BayesDL.Validation.FileFormatException>(fun () -> TrainingCheckpoint.Load(path, header, target) |> ignore)
    Assert.Equal(path, e.Path)
    Assert.Equal<(string * float[]) list>(modelBefore, state fresh)
    Assert.Equal<byte[]>(optimizerBefore, optimizerBytes target.Optimizer)
    e

/// The position of a named parameter among the model's parameters (the optimizer keeps its state in that order).
let private parameterIndex (m: torch.nn.Module) (name: string) =
    m.named_parameters() |> Seq.findIndex (fun struct (n, _) -> n = name)

[<Fact>]
let ``a checkpoint holding NaN weights is refused naming the file and the tensor`` () =
    setup ()
    let e =
        refusedSpoiledCheckpoint OptimizerKind.Adam (fun m _ ->
            let rho = m.state_dict()["body.0.weight_rho"]
            rho.view(-1L).narrow(0L, 3L, 1L).fill_(nan) |> ignore)
    Assert.Contains("finite values in 'body.0.weight_rho'", e.Expected)
    Assert.Contains("NaN at flat index 3", e.Found)

[<Theory>]
[<InlineData("exp_avg", "NaN")>] // Adam's first moment
[<InlineData("exp_avg_sq", "Infinity")>] // Adam's second moment
[<InlineData("momentum_buffer", "-Infinity")>] // SGD's Nesterov momentum buffer
let ``a checkpoint whose optimizer state holds NaN or an infinity is refused naming the file, state tensor and parameter, loading nothing``
        (moment: string, value: string) =
    setup ()
    let bad = Double.Parse(value, Globalization.CultureInfo.InvariantCulture)
    let kind = if moment = "momentum_buffer" then OptimizerKind.SgdMomentum else OptimizerKind.Adam
    let spoil (m: torch.nn.Module) (optimizer: torch.optim.Optimizer) =
        let i = parameterIndex m "body.0.weight_mu"
        let states = (optimizer :?> Modules.OptimizerHelper).state_dict().State
        let entry = states[i]
        let t =
            match entry with
            | :? Modules.Adam.State as a -> if moment = "exp_avg" then a.exp_avg else a.exp_avg_sq
            | :? Modules.SGD.State as g ->
                // SGD makes its buffers at its first step: give every parameter a finite one, this one with a bad value.
                for s, p in Seq.zip states (m.parameters()) do
                    (s :?> Modules.SGD.State).momentum_buffer <- torch.full_like(p, 0.25)
                g.momentum_buffer
            | other -> failwithf "unexpected optimizer state %s" (other.GetType().Name)
        t.view(-1L).narrow(0L, 5L, 1L).fill_(bad) |> ignore
    let e = refusedSpoiledCheckpoint kind spoil
    Assert.Contains($"({moment}) of 'body.0.weight_mu'", e.Expected)
    Assert.Contains("finite values", e.Expected)
    Assert.Contains("optimizer state", e.Expected)
    Assert.StartsWith($"{bad} at flat index 5", e.Found)

[<Fact>]
let ``a checkpoint of format version 1 is refused naming its version and the version this BayesDL reads`` () =
    setup ()
    use dir = new TempDir()
    for magic in [ "BAYESDL-CHECKPOINT"; "BAYESDL-VAE-CHECKPOINT" ] do
        let path = dir.File "old.ckpt"
        do
            use writer = new BinaryWriter(File.Create path)
            writer.Write magic
            writer.Write """{"Version":1,"CompletedEpochs":1,"Steps":2}"""
            writer.Write(Array.zeroCreate<byte> 64)
        let resume () =
            use data = blobs 32
            use fresh = classifier 8L 99L
            Trainer(settings 2 OptimizerKind.Adam 0.02 (CheckpointOptions(path))).Fit(fresh, data) |> ignore
        let e = refusedCheckpoint path resume
        Assert.Contains("format version 1", e.Found)
        Assert.Contains("reads version 2", e.Found)
