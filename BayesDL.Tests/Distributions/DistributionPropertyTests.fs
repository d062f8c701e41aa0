/// Property-based verification of every distribution: LogProb against MathNet.Numerics densities, entropy against
/// the integral of -p log p, sample moments against Mean/Variance, RSample gradients against finite differences,
/// float32 against float64, and finiteness at extreme valid parameters.
module BayesDL.Tests.Distributions.DistributionPropertyTests

open System
open Xunit
open TorchSharp
open BayesDL.Engine
open BayesDL.Distributions
open BayesDL.Tests.TestSupport
open BayesDL.Tests.Distributions.Families

let familyNames () : seq<obj[]> = families |> Seq.map (fun f -> [| box f.Name |])

let private close (tolerance: float) (expected: float) (actual: float) =
    (Double.IsInfinity expected && expected = actual) || abs (actual - expected) <= tolerance * (1.0 + abs expected)

/// Points in the support of distributions: draws of the distribution itself.
let private points (d: Distribution) n = d.Sample(int64 n)

[<Theory>]
[<MemberData(nameof familyNames)>]
let ``LogProb equals the reference density (MathNet where it has the family)`` (name: string) =
    engine ()
    NativeEngine.Seed 1L
    let f = family name
    match f.Reference with
    | None -> ()
    | Some reference ->
        let cases = draw f.Moderate 41 8 @ (if name = "RelaxedBernoulli" then [] else draw f.Extreme 42 8)
        for x in cases do
            use scope = torch.NewDisposeScope()
            let d = make f cpu64 x
            let v = points d 5
            let ours = values (d.LogProb v)
            for i, xi in Array.indexed (values v) do
                let r = reference x xi
                Assert.True(not (Double.IsNaN ours[i]) && not (Double.IsInfinity ours[i]),
                            sprintf "%s %A: log p(%g) = %g" name x xi ours[i])
                // Both sides are float64 closed forms: agreement to ~1e-9 relative (lgamma of large arguments limits it).
                if Double.IsFinite r && abs r < 1e300 then
                    Assert.True(close 1e-9 r ours[i], sprintf "%s %A at %g: ours %.15g, reference %.15g" name x xi ours[i] r)

[<Theory>]
[<MemberData(nameof familyNames)>]
let ``Entropy equals the integral of -p log p (quadrature, exact sums, or Monte Carlo within 5 SE)`` (name: string) =
    engine ()
    NativeEngine.Seed 2L
    let f = family name
    for x in draw f.Moderate 51 4 do
        use scope = torch.NewDisposeScope()
        let d = make f cpu64 x
        let h = scalar (d.Entropy())
        match f.Reference, f.Support with
        | Some _, _ when name = "RelaxedBernoulli" ->
            // In logit space x = logit y the Concrete is logistic (Maddison et al. 2017):
            // log p_X(x) = log T + l - T x - 2 softplus(l - T x), and H[Y] = H[X] + E[log y + log(1 - y)].
            // Integrating there avoids y = sigmoid(x) rounding to 1 in the far right tail.
            let t, l = x[0], log (x[1] / (1.0 - x[1]))
            let softplus z = if z > 30.0 then z else log (1.0 + exp z)
            let integrand z =
                let lx = log t + l - t * z - 2.0 * softplus (l - t * z)
                let logJacobian = -(softplus -z) - softplus z
                -exp lx * (lx - logJacobian)
            let integral = integrate integrand Double.NegativeInfinity Double.PositiveInfinity [ l / t ]
            Assert.True(close 1e-8 integral h, sprintf "%s %A: entropy %.12g, quadrature %.12g" name x h integral)
        | Some r, "discrete" ->
            let support = if name = "Bernoulli" then [ 0.0; 1.0 ] else [ 0.0 .. 3.0 ]
            let exact = support |> List.sumBy (fun k -> let l = r x k in -exp l * l)
            Assert.True(close 1e-12 exact h, sprintf "%s %A: entropy %g, exact sum %g" name x h exact)
        | Some r, support ->
            let bounds = if name = "Uniform" then x[0], x[0] + x[1] else nan, nan
            let cuts = match name with "Normal" | "Laplace" -> [ x[0] ] | "StudentT" -> [ x[1] ] | "ScaleMixtureNormal" -> [ 0.0 ] | _ -> []
            let integral = overSupport support bounds cuts (fun v -> let l = r x v in if exp l = 0.0 then 0.0 else -exp l * l)
            Assert.True(close 1e-8 integral h, sprintf "%s %A: entropy %.12g, quadrature %.12g" name x h integral)
        | _ ->
            // Multivariate: H = E[-log p(X)], the mean of 20,000 i.i.d. terms: within 5 SE except with probability < 1e-6.
            let lp = d.LogProb(d.Sample 20000L)
            let est, se = -(scalar (lp.mean())), scalar (lp.std()) / sqrt 20000.0
            Assert.True(abs (est - h) <= 5.0 * se, sprintf "%s %A: entropy %g, Monte Carlo %g +- %g" name x h est se)

[<Theory>]
[<MemberData(nameof familyNames)>]
let ``sample means and variances match Mean and Variance within 5 standard errors`` (name: string) =
    engine ()
    NativeEngine.Seed 3L
    let f = family name
    // HalfCauchy has no finite moments; its Mean and Variance are +inf by definition (checked in DistributionTests).
    if name <> "HalfCauchy" then
        for x in draw f.Moderate 61 3 do
            use scope = torch.NewDisposeScope()
            let d = make f cpu64 x
            let n = 40000
            let samples = d.Sample(int64 n).to_type(torch.ScalarType.Float64)
            let mean, var = values d.Mean, values d.Variance
            let sMean = values (samples.mean([| 0L |]))
            let centred = samples - samples.mean([| 0L |], keepdim = true)
            let m2 = values (centred.square().mean([| 0L |]))
            let m4 = values (centred.square().square().mean([| 0L |]))
            for i in 0 .. mean.Length - 1 do
                // SE of the sample mean sqrt(Var/n); of the sample variance sqrt((m4 - m2^2)/n) (delta method).
                let seMean = sqrt (var[i] / float n)
                let seVar = sqrt ((m4[i] - m2[i] * m2[i]) / float n)
                Assert.True(abs (sMean[i] - mean[i]) <= 5.0 * seMean,
                            sprintf "%s %A [%d]: sample mean %g, Mean %g, SE %g" name x i sMean[i] mean[i] seMean)
                Assert.True(abs (m2[i] - var[i]) <= 5.0 * seVar + 1e-12,
                            sprintf "%s %A [%d]: sample variance %g, Variance %g, SE %g" name x i m2[i] var[i] seVar)

/// Families whose sampler's pathwise derivative is libtorch's implicit (Gamma) gradient, not the sampler's own path:
/// their gradients agree with d E[x] / d theta only in expectation.
let private implicitGradient = set [ "Gamma"; "Beta"; "Dirichlet"; "StudentT" ]

[<Theory>]
[<MemberData(nameof familyNames)>]
let ``RSample gradients match finite differences`` (name: string) =
    engine ()
    let f = family name
    let x = (draw f.Moderate 71 1).Head
    use scope = torch.NewDisposeScope()
    let probe = make f cpu64 x
    if not probe.HasRSample then
        let e = Assert.Throws<NotSupportedException>(fun () -> probe.RSample(2L) |> ignore)
        Assert.Contains(name, e.Message)
    else
        let objective (theta: torch.Tensor) seed n =
            NativeEngine.Seed seed
            (f.Build theta).RSample(int64 n).sum() / float n
        let h = 1e-6
        if not (implicitGradient.Contains name) then
            // Common random numbers: the same noise at theta, theta + h e_j, theta - h e_j, so the derivative of the
            // sampled path is checked exactly (central differences, error O(h^2) ~ 1e-12 relative).
            let theta = (parameters cpu64 x).requires_grad_()
            (objective theta 9L 200).backward()
            let grad = values theta.grad
            for j in 0 .. x.Length - 1 do
                let shifted delta =
                    use _ = torch.no_grad() in
                    scalar (objective (parameters cpu64 (Array.mapi (fun i v -> if i = j then v + delta else v) x)) 9L 200)
                let fd = (shifted h - shifted -h) / (2.0 * h)
                Assert.True(abs (fd - grad[j]) <= 1e-5 * (1.0 + abs fd),
                            sprintf "%s %A d/dtheta[%d]: autograd %.10g, finite difference %.10g" name x j grad[j] fd)
        else
            // Implicit reparameterisation: the mean pathwise gradient over 40 batches of 500 draws estimates
            // d E[sum x] / d theta; the finite difference of the analytic Mean must lie within 5 SE of it.
            let batches =
                [ for b in 1 .. 40 ->
                    let theta = (parameters cpu64 x).requires_grad_()
                    (objective theta (int64 (100 + b)) 500).backward()
                    values theta.grad ]
            for j in 0 .. x.Length - 1 do
                let g = batches |> List.map (fun v -> v[j])
                let m = List.average g
                let se = sqrt ((g |> List.sumBy (fun v -> (v - m) ** 2.0)) / float (g.Length - 1) / float g.Length)
                let meanAt delta = scalar ((make f cpu64 (Array.mapi (fun i v -> if i = j then v + delta else v) x)).Mean.sum())
                let fd = (meanAt h - meanAt -h) / (2.0 * h)
                Assert.True(abs (m - fd) <= 5.0 * se + 1e-6, sprintf "%s %A d/dtheta[%d]: pathwise %g +- %g, d Mean %g" name x j m se fd)

[<Theory>]
[<MemberData(nameof familyNames)>]
let ``float32 results agree with float64 within float32 tolerance`` (name: string) =
    engine ()
    NativeEngine.Seed 4L
    let f = family name
    for x in draw f.Moderate 81 5 do
        use scope = torch.NewDisposeScope()
        let d64, d32 = make f cpu64 x, make f ComputePolicy.Cpu x
        let v = points d64 4
        let pairs =
            [ "LogProb", values (d64.LogProb v),
                  values (d32.LogProb(v.to_type(if name = "Categorical" then torch.ScalarType.Int64 else torch.ScalarType.Float32)))
              "Entropy", values (d64.Entropy()), values (d32.Entropy())
              "Mean", values d64.Mean, values d32.Mean
              "Variance", values d64.Variance, values d32.Variance ]
        for what, a, b in pairs do
            for i in 0 .. a.Length - 1 do
                // float32 has a relative precision of 6e-8; a few dozen operations keep it within 1e-4 relative.
                Assert.True(close 1e-4 a[i] b[i], sprintf "%s %A %s[%d]: float64 %g, float32 %g" name x what i a[i] b[i])

[<Theory>]
[<MemberData(nameof familyNames)>]
let ``extreme valid parameters give finite samples, log-densities, entropies and moments`` (name: string) =
    engine ()
    NativeEngine.Seed 6L
    let f = family name
    for x in draw f.Extreme 91 12 do
        use scope = torch.NewDisposeScope()
        let d = make f cpu64 x
        let v = points d 20
        let finite (t: torch.Tensor) = t.isfinite().all().item<bool>()
        Assert.True(finite (v.to_type(torch.ScalarType.Float64)), sprintf "%s %A: non-finite sample" name x)
        Assert.True(finite (d.LogProb v), sprintf "%s %A: non-finite log-density at %A" name x (values v))
        Assert.True(finite (d.Entropy()), sprintf "%s %A: entropy %A" name x (values (d.Entropy())))
        // Infinite or undefined moments by definition: HalfCauchy always, StudentT for df <= 2.
        let momentsExist = name <> "HalfCauchy" && not (name = "StudentT" && x[0] <= 2.0)
        if momentsExist then
            Assert.True(finite d.Mean && finite d.Variance, sprintf "%s %A: mean %A variance %A" name x (values d.Mean) (values d.Variance))

/// The batch shapes every family and every KL pair is run over, as in torch.distributions' tests.
let batchShapes : int64[] list = [ [||]; [| 4L |]; [| 2L; 3L |] ]

/// Agreement of a batched computation with the same computation on one element: the same float64 operations, up to
/// the order of reductions (matrix products) and the quadrature grids of ScaleMixtureNormal and RelaxedBernoulli, which
/// span the batch's parameter range (their error is below 1e-12 relative): 1e-10 relative.
let private sameAs (expected: float) (actual: float) =
    (Double.IsNaN expected && Double.IsNaN actual) || (Double.IsInfinity expected
                                                       && expected = actual) || abs (actual - expected) <= 1e-10 * (1.0 + abs expected)

[<Theory>]
[<MemberData(nameof familyNames)>]
let ``over batch shapes (), (4,) and (2,3) LogProb, Entropy, Mean and Variance have the batch shape and equal the element-wise results``
    (name: string)
    =
    engine ()
    NativeEngine.Seed 12L
    let f = family name
    for batch in batchShapes do
        use scope = torch.NewDisposeScope()
        let n = Array.fold (*) 1L batch |> int
        let xs = draw f.Moderate (110 + batch.Length) n
        let d = makeBatch f cpu64 batch xs
        Assert.Equal<int64[]>(batch, d.BatchShape)
        let ev = d.EventShape
        let v = d.Sample(2L)
        Assert.Equal<int64[]>(Array.concat [ [| 2L |]; batch; ev ], v.shape)
        let lp, h = d.LogProb v, d.Entropy()
        Assert.Equal<int64[]>(Array.append [| 2L |] batch, lp.shape)
        Assert.Equal<int64[]>(batch, h.shape)
        Assert.Equal<int64[]>(Array.append batch ev, d.Mean.shape)
        Assert.Equal<int64[]>(Array.append batch ev, d.Variance.shape)
        // Element i of the batch, built on its own from its own parameters, on its own slice of the same draws.
        let flatV = v.reshape(Array.append [| 2L; int64 n |] ev)
        let eventSize = Array.fold (*) 1L ev |> int
        let lps, hs, means, vars = values (lp.reshape(2L, int64 n)), values h, values d.Mean, values d.Variance
        for i in 0 .. n - 1 do
            let di = make f cpu64 xs[i]
            let lpi = values (di.LogProb(flatV.select(1L, int64 i)))
            let check what (expected: float) (actual: float) =
                Assert.True(sameAs expected actual,
                            sprintf "%s batch %A element %d %s: alone %.15g, batched %.15g" name batch i what expected actual)
            check "LogProb[0]" lpi[0] lps[i]
            check "LogProb[1]" lpi[1] lps[n + i]
            check "Entropy" (scalar (di.Entropy())) hs[i]
            Array.iteri (fun j e -> check "Mean" e means[i * eventSize + j]) (values di.Mean)
            Array.iteri (fun j e -> check "Variance" e vars[i * eventSize + j]) (values di.Variance)

/// The univariate families at the ends of the valid ranges (FsCheck wrapper types, ValidParameters), over a random one
/// of the batch shapes (), (4,), (2,3): draws are in the support and their log-densities, the entropies and the means are
/// finite, with the shapes sampleShape ++ batch and batch.
[<FsCheck.Xunit.Property(MaxTest = 60, Replay = "(1203,29)", Arbitrary = [| typeof<ValidParameters.ValidParameters> |])>]
let ``at the extremes of the valid parameter ranges draws, log-densities, entropies and means are finite, with the batch shape``
        (ValidParameters.Location m, ValidParameters.PositiveScale s, ValidParameters.Concentration a,
         ValidParameters.Concentration b, ValidParameters.Probability p, ValidParameters.BatchShape batch) =
    engine ()
    NativeEngine.Seed 13L
    use scope = torch.NewDisposeScope()
    let e (x: float) = cpu64.Scalar(x).expand(batch).contiguous()
    let families : Distribution list =
        [ Dist.Normal(e m, e s); Dist.Laplace(e m, e s); Dist.Gamma(e a, e s); Dist.Beta(e a, e b); Dist.Exponential(e s)
          Dist.HalfNormal(e s); Dist.HalfCauchy(e s); Dist.StudentT(e a, e m, e s); Dist.Bernoulli(e p) ]
    let finite (t: torch.Tensor) = t.isfinite().all().item<bool>()
    families |> List.forall (fun d ->
        let v = d.Sample(3L)
        let lp, h = d.LogProb v, d.Entropy()
        d.BatchShape = batch && lp.shape = Array.append [| 3L |] batch && h.shape = batch
        && finite lp && finite h && (d :? StudentT || d :? HalfCauchy || finite d.Mean))

[<Theory>]
[<MemberData(nameof familyNames)>]
let ``closed-form log-density partials equal autograd's gradient, with respect to the value and every parameter`` (name: string) =
    engine ()
    NativeEngine.Seed 5L
    let f = family name
    for cases, label in [ draw f.Moderate 81 5, "moderate"; draw f.Extreme 82 5, "extreme" ] do
        use scope = torch.NewDisposeScope()
        // A batch of five distributions, one value each: every partial has the shape of the input it belongs to.
        let p = (parameters cpu64 (Array.concat cases)).reshape(5L, -1L).clone().requires_grad_(true)
        let d = f.Build p
        let draws = d.Sample().detach()
        let v = if draws.is_floating_point() then draws.requires_grad_(true) else draws
        match d.LogProbWithPartials v with
        | null -> ()
        | partials ->
            let lp = d.LogProb v
            Assert.Equal<float[]>(values lp, values partials.LogProb)
            Assert.NotEmpty partials.Partials
            for input, partial in partials.Partials do
                let expected = values (torch.autograd.grad([| lp.sum() |], [| input |], retain_graph = true).[0])
                let ours = values partial
                Assert.Equal(expected.Length, ours.Length)
                for i in 0 .. ours.Length - 1 do
                    Assert.True(close 1e-10 expected[i] ours[i],
                                sprintf "%s (%s) %A, partial %d of an input of shape %A: %.15g, by autograd %.15g" name label
                                    cases[i % cases.Length] i input.shape ours[i] expected[i])
