// The other models of the course declared in a few lines each with the F# DSL: a deep ensemble on a 1-D
// heteroscedastic regression (Lakshminarayanan et al. 2017), a conditional VAE that draws the digit it is asked for
// (Sohn et al. 2015), and M2 learning a classifier from a few labels and many unlabelled digits (Kingma et al. 2014).
// Writes artifacts/scripts/model-zoo-cvae-fsx.png. BAYESDL_QUICK=1 trains on small subsets for one or two epochs.
// Run: dotnet fsi scripts/model-zoo.fsx
#load "references.fsx"

open TorchSharp
open BayesDL.Data
open BayesDL.Dsl
open BayesDL.Engine
open BayesDL.Plotting

let quick = References.quick
let policy = ComputePolicy.Cpu
let orFail r = r |> Result.defaultWith (fun (e: BayesError) -> failwith e.Message)

// 1. Deep ensemble: y = x^3 + noise on [-4, 4]; the members agree where there are data and disagree beyond.
NativeEngine.Seed 1L
let xs = torch.rand(200L, 1L, dtype = torch.ScalarType.Float32) * 8.0f - 4.0f
let toy = new LabeledData(xs, xs * xs * xs / 10.0f + 0.3f * torch.randn_like xs)
let deep =
    model { network (linear 1L 50L >> Activation.relu >> linear 50L 2L); likelihood heteroscedastic }
    |> Ensemble.fit (ensemble { members (if quick then 3 else 5); epochs (if quick then 20 else 200);
                                batchSize 32; learningRate 0.01 }) policy toy
    |> orFail
let probe = torch.tensor([| -2.0f; 0.0f; 2.0f; 6.0f |]).unsqueeze 1L
let p = deep.Predict probe
printfn "ensemble of %d: epistemic std at x = -2, 0, 2 (data) and 6 (none): %A" p.SampleCount
    (Tensors.toArray (p.EpistemicVariance().sqrt()))

// 2. Conditional VAE on MNIST: the encoder reads [x, one-hot y], the decoder [z, one-hot y].
let train = Mnist.LoadSubset("train", policy = policy).Take(if quick then 1000L else 8000L)
let test = Mnist.LoadSubset("test", policy = policy).Take(if quick then 300L else 2000L)
let digits = cvae { encoder (linear 794L 400L >> Activation.relu); decoder (linear 12L 400L >> Activation.relu >> linear 400L 784L);
                    latent 2; classes 10 } |> Cvae.buildOn policy |> orFail
let cvaeFit = Cvae.fit (vi { epochs (if quick then 1 else 10); seed 1L }) train digits |> orFail
printfn "cvae: loss per epoch %A nats/image" cvaeFit.EpochLosses
do
    use _ = torch.no_grad ()
    use asked = torch.arange(10L).repeat_interleave(8L)
    let png = ImageGrid.Save(digits.Generate asked, 8, References.artifact "model-zoo-cvae-fsx.png",
                             title = "CVAE: row d = samples asked for digit d")
    printfn "wrote %s" png

// 3. M2: 10 (quick) or 100 labels per class, the other training digits unlabelled.
let perClass = if quick then 10 else 100
let ys = train.Targets.data<int64>().ToArray()
let labelledRows = [| for c in 0L .. 9L do yield! (ys |> Array.indexed |> Array.filter (fun (_, y) -> y = c)
                                                   |> Array.truncate perClass |> Array.map fst) |]
let unlabelledRows = Array.except labelledRows [| 0 .. ys.Length - 1 |]
let pick (rows: int[]) (t: torch.Tensor) = t.index_select(0L, torch.tensor(Array.map int64 rows))
let labelled = new LabeledData(pick labelledRows train.Inputs, pick labelledRows train.Targets)
let semi =
    m2 {
        encoder (linear 794L 400L >> Activation.relu)
        decoder (linear 60L 400L >> Activation.relu >> linear 400L 784L)
        classifier (linear 784L 400L >> Activation.relu >> linear 400L 10L)
        latent 50
        classes 10
    }
    |> M2.buildOn policy |> orFail
let m2Fit = M2.fit (vi { epochs (if quick then 1 else 10); seed 1L }) labelled (pick unlabelledRows train.Inputs) semi |> orFail
let accuracy = (semi.Predict test.Inputs).eq(test.Targets).to_type(torch.ScalarType.Float32).mean().item<float32>()
printfn "m2: %d labelled, %d unlabelled; loss per epoch %A; test accuracy %.3f" labelled.Count
    unlabelledRows.Length m2Fit.EpochLosses accuracy
