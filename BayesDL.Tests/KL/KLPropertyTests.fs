/// Property-based verification of every registered analytic KL: non-negativity, KL(p, p) = 0, agreement with
/// MathNet quadrature (1-D, float64, 1e-6 relative) or with Monte Carlo (multivariate, 5 standard errors),
/// the Independent sum rule, affine invariance, and float32 against float64.
module BayesDL.Tests.KL.KLPropertyTests

open System
open Xunit
open FsCheck.Xunit
open TorchSharp
open BayesDL.Engine
open BayesDL.Distributions
open BayesDL.KL
open BayesDL.Tests.TestSupport
open BayesDL.Tests.Distributions.Families
open BayesDL.Tests.Distributions.ValidParameters

/// The pairs BayesDL ships (tests elsewhere register pairs of their own test types).
let shippedPairs () =
    KLDivergence.RegisteredPairs
    |> Seq.filter (fun k -> k.P.Namespace = "BayesDL.Distributions" && k.Q.Namespace = "BayesDL.Distributions") |> List.ofSeq

let pairNames () : seq<obj[]> = shippedPairs () |> Seq.map (fun k -> [| box k.P.Name; box k.Q.Name |])

let private kl (p: Distribution) (q: Distribution) = scalar (KLDivergence.Analytic(p, q))

let private univariate (f: Family) = f.Reference.IsSome && f.Support <> "discrete"

/// Where p's log-density is finite: the integration domain for KL(p || q).
let private bounds (f: Family) (x: float[]) = if f.Name = "Uniform" then x[0], x[0] + x[1] else nan, nan

let private cuts (f: Family) (x: float[]) =
    match f.Name with
    | "Normal" | "Laplace" -> [ x[0] ]
    | "Uniform" -> [ x[0]; x[0] + x[1] ]
    | _ -> []

/// Every other case is moved inside q's support, so that pairs whose KL is often +inf (Uniform against Uniform, Beta,
/// Exponential or Gamma; Beta against Uniform) have their finite closed form checked as often as the infinite branch.
let private nest (pName: string) (qName: string) (i: int) (xp: float[]) (xq: float[]) =
    if i % 2 = 1 then xp, xq
    else
        match pName, qName with
        | "Uniform", "Uniform" -> xp, [| xp[0] - 0.3; xp[1] + 0.8 |]
        | "Beta", "Uniform" -> xp, [| -0.2; 1.5 |]
        | "Uniform", ("Beta" | "Exponential" | "Gamma") -> [| 0.05 + 0.2 * abs xp[0]; min xp[1] 0.7 |], xq
        | _ -> xp, xq

[<Fact>]
let ``every shipped family pair has generators, so every registered pair is verified below`` () =
    engine ()
    let names = families |> List.map (fun f -> f.Name) |> Set.ofList
    for k in shippedPairs () do
        Assert.True(names.Contains k.P.Name && names.Contains k.Q.Name, sprintf "no generator for %s" k.Name)
    Assert.True(List.length (shippedPairs ()) >= 40, "the registry lost pairs")

[<Theory>]
[<MemberData(nameof pairNames)>]
let ``KL is non-negative, zero for p = p, finite or +inf, at extreme valid parameters`` (pName: string, qName: string) =
    engine ()
    let fp, fq = family pName, family qName
    for i, (xp, xq) in List.indexed (List.zip (draw fp.Extreme 11 25) (draw fq.Extreme 12 25)) do
        use scope = torch.NewDisposeScope()
        let p, q = make fp cpu64 xp, make fq cpu64 xq
        let d = kl p q
        // Never negative, not even by round-off: the closed forms are sums of non-negative terms (KLNumerics).
        Assert.True(not (Double.IsNaN d) && d >= 0.0, sprintf "case %d: KL(%A || %A) = %g" i xp xq d)
        if pName = qName then
            let self = kl p (make fp cpu64 xp)
            // 0 up to 1e-15 for every pair, the low-rank normal included (its trace and log-determinants are formed from
            // the parameters' differences, which vanish; the Woodbury form left round-off of order k eps cond(Sigma)).
            Assert.True(self >= 0.0 && self <= 1e-15, sprintf "case %d: KL(p || p) = %g at %A" i self xp)

[<Theory>]
[<MemberData(nameof pairNames)>]
let ``analytic KL equals quadrature (1-D), the exact sum (discrete) or Monte Carlo within 5 SE (multivariate)`` (pName: string,
                                                                                                                 qName: string) =
    engine ()
    NativeEngine.Seed 5L
    let fp, fq = family pName, family qName
    for i, (xp, xq) in List.indexed (List.zip (draw fp.Moderate 21 6) (draw fq.Moderate 22 6)) do
        let xp, xq = nest pName qName i xp xq
        use scope = torch.NewDisposeScope()
        let p, q = make fp cpu64 xp, make fq cpu64 xq
        let analytic = kl p q
        if univariate fp && univariate fq then
            let lp, lq = fp.Reference.Value xp, fq.Reference.Value xq
            let c = cuts fp xp @ cuts fq xq
            if Double.IsPositiveInfinity analytic then
                // Infinite exactly when p puts mass where q has none.
                let outside = overSupport fp.Support (bounds fp xp) c (fun x -> if Double.IsNegativeInfinity(lq x) then exp (lp x) else 0.0)
                Assert.True(outside > 1e-6, sprintf "case %d: KL = inf but p's mass outside q's support is %g" i outside)
            else
                let integrand x = let a = lp x in if exp a = 0.0 then 0.0 else exp a * (a - lq x)
                let reference = overSupport fp.Support (bounds fp xp) c integrand
                Assert.True(abs (analytic - reference) <= 1e-6 * abs reference + 1e-12,
                            sprintf "case %d, p %A, q %A: analytic %.12g, quadrature %.12g" i xp xq analytic reference)
        elif fp.Support = "discrete" then
            let support = if pName = "Bernoulli" then [ 0.0; 1.0 ] else [ 0.0 .. 3.0 ]
            let reference = support |> List.sumBy (fun k -> let a = fp.Reference.Value xp k in exp a * (a - fq.Reference.Value xq k))
            Assert.True(abs (analytic - reference) <= 1e-12 + 1e-10 * reference,
                        sprintf "case %d: analytic %g, exact sum %g" i analytic reference)
        else
            let mc = KLDivergence.MonteCarlo(p, q, 20000)
            let est, se = scalar (mc.Estimate.sum()), scalar (mc.StandardError.square().sum().sqrt())
            // The estimate is a mean of 20,000 i.i.d. log-ratios: within 5 SE of the truth except with probability < 1e-6.
            Assert.True(abs (analytic - est) <= 5.0 * se, sprintf "case %d: analytic %g, MC %g +- %g" i analytic est se)

[<Theory>]
[<MemberData(nameof pairNames)>]
let ``float32 KL agrees with float64 within float32 tolerance`` (pName: string, qName: string) =
    engine ()
    let fp, fq = family pName, family qName
    let cpu32 = ComputePolicy.Cpu
    for xp, xq in List.zip (draw fp.Moderate 31 10) (draw fq.Moderate 32 10) do
        use scope = torch.NewDisposeScope()
        let d64 = kl (make fp cpu64 xp) (make fq cpu64 xq)
        let d32 = kl (make fp cpu32 xp) (make fq cpu32 xq)
        if Double.IsPositiveInfinity d64 then Assert.True(Double.IsPositiveInfinity d32)
        else
            // float32 carries ~7 digits; the formulas sum O(10) terms of size up to ~10: 1e-4 absolute + 1e-4 relative.
            Assert.True(abs (d32 - d64) <= 1e-4 + 1e-4 * abs d64, sprintf "p %A q %A: float32 %g vs float64 %g" xp xq d32 d64)

[<Fact>]
let ``KL of Independent products equals the sum of the per-dimension KLs for every univariate family`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    let v (xs: float list) = cpu64.Tensor(Array.ofList xs, int64 xs.Length)
    let a1, a2, b1, b2 = v [ 0.1; -0.4; 1.0 ], v [ 0.5; 1.2; 2.0 ], v [ 0.0; 0.3; -1.0 ], v [ 1.0; 0.7; 0.4 ]
    let c1, c2, d1, d2 = v [ 1.5; 2.0; 3.0 ], v [ 0.5; 1.2; 2.0 ], v [ 2.5; 0.8; 1.0 ], v [ 1.0; 0.7; 4.0 ]
    let pr (p: Distribution) (q: Distribution) = p, q
    let pairs =
        [ pr (Dist.Normal(a1, a2)) (Dist.Normal(b1, b2))
          pr (Dist.Laplace(a1, a2)) (Dist.Laplace(b1, b2))
          pr (Dist.LogNormal(a1, a2)) (Dist.LogNormal(b1, b2))
          pr (Dist.Gamma(c1, c2)) (Dist.Gamma(d1, d2))
          pr (Dist.Beta(c1, c2)) (Dist.Beta(d1, d2))
          pr (Dist.Exponential(c2)) (Dist.Exponential(d2))
          pr (Dist.HalfNormal(a2)) (Dist.HalfNormal(b2))
          pr (Dist.Bernoulli(v [ 0.1; 0.5; 0.9 ])) (Dist.Bernoulli(v [ 0.3; 0.2; 0.6 ]))
          pr (Dist.Normal(a1, a2)) (Dist.Laplace(b1, b2)) ]
    for p, q in pairs do
        let joint = KLDivergence.Analytic(Dist.Independent(p, 1), Dist.Independent(q, 1))
        let sum = KLDivergence.Analytic(p, q).sum()
        Assert.Equal(scalar sum, scalar joint, 12)

[<Fact>]
let ``KL is invariant under a shared affine change of variables where the family is closed under it`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    let sc (x: float) = cpu64.Scalar x
    let check name (before: float) (after: float) =
        Assert.True(abs (before - after) <= 1e-10 * (1.0 + abs before), sprintf "%s: %.15g before, %.15g after" name before after)
    for a, b in [ (2.5, -1.0); (0.01, 3.0); (-4.0, 0.5); (1e3, 1e3) ] do
        let y (m, s) = sc (a * m + b), sc (abs a * s)
        let normal (m, s) = let l, t = y (m, s) in Dist.Normal(l, t)
        let laplace (m, s) = let l, t = y (m, s) in Dist.Laplace(l, t)
        check "Normal-Normal" (kl (Dist.Normal(sc 0.3, sc 1.2)) (Dist.Normal(sc -0.5, sc 0.7)))
            (kl (normal (0.3, 1.2)) (normal (-0.5, 0.7)))
        check "Laplace-Laplace" (kl (Dist.Laplace(sc 0.3, sc 1.2)) (Dist.Laplace(sc -0.5, sc 0.7)))
            (kl (laplace (0.3, 1.2)) (laplace (-0.5, 0.7)))
        check "Normal-Laplace" (kl (Dist.Normal(sc 0.3, sc 1.2)) (Dist.Laplace(sc -0.5, sc 0.7)))
            (kl (normal (0.3, 1.2)) (laplace (-0.5, 0.7)))
        check "Laplace-Normal" (kl (Dist.Laplace(sc 0.3, sc 1.2)) (Dist.Normal(sc -0.5, sc 0.7)))
            (kl (laplace (0.3, 1.2)) (normal (-0.5, 0.7)))
        if a > 0.0 then
            let uniform (l, h) = Dist.Uniform(sc (a * l + b), sc (a * h + b))
            check "Uniform-Uniform" (kl (Dist.Uniform(sc 0.2, sc 0.9)) (Dist.Uniform(sc 0.0, sc 1.5)))
                (kl (uniform (0.2, 0.9)) (uniform (0.0, 1.5)))
            check "Uniform-Normal" (kl (Dist.Uniform(sc 0.2, sc 0.9)) (Dist.Normal(sc 0.0, sc 1.5)))
                (kl (uniform (0.2, 0.9)) (normal (0.0, 1.5)))
            // Scaling x -> a x (b = 0): rate / a for Exponential and Gamma, scale * a for HalfNormal.
            check "Exponential-Gamma" (kl (Dist.Exponential(sc 1.7)) (Dist.Gamma(sc 2.5, sc 1.5)))
                (kl (Dist.Exponential(sc (1.7 / a))) (Dist.Gamma(sc 2.5, sc (1.5 / a))))
            check "Gamma-Gamma" (kl (Dist.Gamma(sc 3.0, sc 1.7)) (Dist.Gamma(sc 2.5, sc 1.5)))
                (kl (Dist.Gamma(sc 3.0, sc (1.7 / a))) (Dist.Gamma(sc 2.5, sc (1.5 / a))))
            check "Gamma-Exponential" (kl (Dist.Gamma(sc 3.0, sc 1.7)) (Dist.Exponential(sc 0.5)))
                (kl (Dist.Gamma(sc 3.0, sc (1.7 / a))) (Dist.Exponential(sc (0.5 / a))))
            check "HalfNormal-HalfNormal" (kl (Dist.HalfNormal(sc 0.4)) (Dist.HalfNormal(sc 1.5)))
                (kl (Dist.HalfNormal(sc (0.4 * a))) (Dist.HalfNormal(sc (1.5 * a))))
    // Multivariate: x -> A x + c maps N(m, S) to N(A m + c, A S A^T); with a diagonal A the low-rank family is closed too.
    let m (rows: float list list) = cpu64.Tensor(List.concat rows |> Array.ofList, int64 rows.Length, int64 rows.Head.Length)
    let v (xs: float list) = cpu64.Tensor(Array.ofList xs, int64 xs.Length)
    let a = m [ [ 2.0; 0.5; 0.0 ]; [ -1.0; 1.0; 0.3 ]; [ 0.0; 0.2; 0.7 ] ]
    let c = v [ 1.0; -2.0; 0.5 ]
    let cp, cq = m [ [ 1.0; 0.3; 0.1 ]; [ 0.3; 0.8; -0.2 ]; [ 0.1; -0.2; 1.5 ] ], m [ [ 1.4; -0.2; 0.0 ];
                                                                                      [ -0.2; 1.0; 0.3 ]; [ 0.0; 0.3; 0.9 ] ]
    let mp, mq = v [ 0.1; -0.2; 0.3 ], v [ -0.3; 0.2; 0.0 ]
    let push (mu: torch.Tensor) (s: torch.Tensor) = Dist.MultivariateNormal(a.matmul mu + c, a.matmul(s).matmul(a.T))
    check "MultivariateNormal-MultivariateNormal" (kl (Dist.MultivariateNormal(mp, cp)) (Dist.MultivariateNormal(mq, cq)))
        (kl (push mp cp) (push mq cq))
    let dA = v [ 2.0; -0.5; 3.0 ]
    let w, d = m [ [ 0.2; 0.4 ]; [ 0.7; -0.1 ]; [ -0.3; 0.5 ] ], v [ 0.9; 0.5; 1.2 ]
    let lowRank (mu: torch.Tensor) = Dist.LowRankMultivariateNormal(mu, w, d)
    let pushed (mu: torch.Tensor) = Dist.LowRankMultivariateNormal(dA * mu + c, dA.unsqueeze(1L) * w, dA.square() * d)
    check "LowRankMultivariateNormal-LowRankMultivariateNormal" (kl (lowRank mp) (Dist.LowRankMultivariateNormal(mq, w * 0.5, d * 2.0)))
        (kl (pushed mp) (Dist.LowRankMultivariateNormal(dA * mq + c, dA.unsqueeze(1L) * w * 0.5, dA.square() * d * 2.0)))

[<Fact>]
let ``KL stays finite and accurate at extreme scales and near-singular covariances`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    let sc (x: float) = cpu64.Scalar x
    // Scales 1e-4 versus 1e4: KL = log(1e8) + 1e-16/2 + (0.1/1e4)^2/2 - 1/2.
    let d = kl (Dist.Normal(sc 0.1, sc 1e-4)) (Dist.Normal(sc 0.0, sc 1e4))
    Assert.Equal(log 1e8 + 0.5e-16 + 0.5e-10 - 0.5, d, 12)
    // Probabilities down to 1e-6 stay finite and match the direct formula.
    let pb, qb = 1e-6, 0.3
    let bern = kl (Dist.Bernoulli(sc pb)) (Dist.Bernoulli(sc qb))
    Assert.Equal(pb * log (pb / qb) + (1.0 - pb) * log ((1.0 - pb) / (1.0 - qb)), bern, 12)
    // A nearly singular (condition number ~1e10) but positive-definite covariance: KL(N(0, S) || N(0, S)) = 0 and
    // KL against a scaled copy equals the scalar formula k/2 (c - 1 - log c).
    let s = cpu64.Tensor([| 1.0; 1.0 - 1e-10; 1.0 - 1e-10; 1.0 |], 2L, 2L)
    let z = torch.zeros(2L, dtype = torch.ScalarType.Float64)
    let self = kl (Dist.MultivariateNormal(z, s)) (Dist.MultivariateNormal(z, s))
    Assert.True(abs self < 1e-6, sprintf "KL(p || p) = %g" self)
    let scaled = kl (Dist.MultivariateNormal(z, s)) (Dist.MultivariateNormal(z, s * 2.0))
    Assert.Equal(0.5 * 2.0 * (0.5 - 1.0 + log 2.0), scaled, 5)

[<Fact>]
let ``low-rank normals: KL(p || p) is exactly 0 at condition numbers near 1e8, and KL of other ranks equals the dense form`` () =
    engine ()
    use scope = torch.NewDisposeScope()
    NativeEngine.Seed 12L
    let k = 40L
    // W entries of size 30 against D down to 1e-4: cond(Sigma) ~ 1e8, where the Woodbury trace left ~1e-9.
    let w = torch.randn([| 3L; k; 4L |], dtype = torch.ScalarType.Float64) * 30.0
    let d = torch.rand([| 3L; k |], dtype = torch.ScalarType.Float64) * 2.0 + 1e-4
    let mu = torch.randn([| 3L; k |], dtype = torch.ScalarType.Float64)
    let self = values (KLDivergence.Analytic(Dist.LowRankMultivariateNormal(mu, w, d),
                                             Dist.LowRankMultivariateNormal(mu.clone(), w.clone(), d.clone())))
    Assert.All(self, fun v -> Assert.Equal(0.0, v))
    // Against the full-covariance pair (a sum of non-negative gaps) for ranks 4 and 2 and moderate conditioning.
    let wp = torch.randn([| k; 4L |], dtype = torch.ScalarType.Float64)
    let wq = torch.randn([| k; 2L |], dtype = torch.ScalarType.Float64)
    let dp = torch.rand([| k |], dtype = torch.ScalarType.Float64) + 0.5
    let dq = torch.rand([| k |], dtype = torch.ScalarType.Float64) + 0.5
    let mq = torch.randn([| k |], dtype = torch.ScalarType.Float64) * 0.1
    let lowRank = kl (Dist.LowRankMultivariateNormal(mu[0], wp, dp)) (Dist.LowRankMultivariateNormal(mq, wq, dq))
    let dense (m: torch.Tensor) (f: torch.Tensor) (g: torch.Tensor) = Dist.MultivariateNormal(m, f.matmul(f.T) + g.diag())
    let full = kl (dense mu[0] wp dp) (dense mq wq dq)
    Assert.True(abs (lowRank - full) <= 1e-10 * full, sprintf "low-rank %.15g, dense %.15g" lowRank full)
    // Nearly equal (D 1e-8 relative apart): >= 0 and at most the diagonal bound sum_i (1e-8)^2 / 4 = 1e-15 (times a margin),
    // where the general form's round-off (~1e-9 here) would dominate.
    let dNear = dp * (1.0 + 1e-8)
    let near = kl (Dist.LowRankMultivariateNormal(mu[0], wp, dp)) (Dist.LowRankMultivariateNormal(mu[0], wp, dNear))
    Assert.True(near >= 0.0 && near <= 2e-15, sprintf "nearly equal: %g" near)

[<Theory>]
[<MemberData(nameof pairNames)>]
let ``over batch shapes (), (4,) and (2,3) KL has the broadcast batch shape and equals the element-by-element KLs`` (pName: string,
                                                                                                                     qName: string) =
    engine ()
    let fp, fq = family pName, family qName
    let agree (expected: float) (actual: float) =
        (Double.IsInfinity expected && expected = actual) || abs (actual - expected) <= 1e-12 * (1.0 + abs expected)
    for batch in [ [||]; [| 4L |]; [| 2L; 3L |] ] do
        use scope = torch.NewDisposeScope()
        let n = Array.fold (*) 1L batch |> int
        let xs = List.zip (draw fp.Moderate (130 + batch.Length) n) (draw fq.Moderate (140 + batch.Length) n)
                 |> List.mapi (fun i (xp, xq) -> nest pName qName i xp xq)
        let p, q = makeBatch fp cpu64 batch (List.map fst xs), makeBatch fq cpu64 batch (List.map snd xs)
        let batched = KLDivergence.Analytic(p, q)
        Assert.Equal<int64[]>(batch, batched.shape)
        let flat = values batched
        // q of batch shape () broadcast against p's batch: KL(p_i || q_0) for every i.
        let q0 = make fq cpu64 (snd xs.Head)
        let broadcast = KLDivergence.Analytic(p, q0)
        Assert.Equal<int64[]>(batch, broadcast.shape)
        let flatBroadcast = values broadcast
        for i, (xp, xq) in List.indexed xs do
            let alone = kl (make fp cpu64 xp) (make fq cpu64 xq)
            Assert.True(agree alone flat[i],
                        sprintf "%s-%s batch %A element %d: alone %.15g, batched %.15g" pName qName batch i alone flat[i])
            let aloneBroadcast = kl (make fp cpu64 xp) q0
            Assert.True(agree aloneBroadcast flatBroadcast[i], sprintf "%s-%s batch %A element %d against q_0: alone %.15g, batched \
                                                                        %.15g" pName qName batch i aloneBroadcast flatBroadcast[i])

// ---- Properties over the extremes of the valid parameter ranges (FsCheck wrapper types, ValidParameters) ----

let private sc (x: float) = cpu64.Scalar x
let private vec (xs: float[]) = cpu64.Tensor(xs, int64 xs.Length)

/// The laws every KL obeys, checked at one pair of parameter sets: KL(p || q) >= 0 (never negative, not even by
/// round-off), KL(p || p) = 0 to 1e-15, and KL(p || q) > 0 when the parameters differ (KL = 0 only for p = q). The
/// properties check them for independent parameters and for nearly equal ones (1 + eps apart, |eps| down to 1e-10),
/// where the textbook formulas return round-off of either sign.
let private laws (build: 'a -> Distribution) (x: 'a) (y: 'a) =
    use scope = torch.NewDisposeScope()
    let d = kl (build x) (build y)
    let self = kl (build x) (build x)
    d >= 0.0 && self >= 0.0 && self <= 1e-15 && (x = y || d > 0.0)

[<Property(MaxTest = 200, Replay = "(1203,17)", Arbitrary = [| typeof<ValidParameters> |])>]
let ``Normal, Laplace and LogNormal KLs obey the laws at locations to 1e3 and scales 1e-6 to 1e6``
        (Location m1, PositiveScale s1, Location m2, PositiveScale s2, NearlyEqual eps) =
    engine ()
    let near = s1 * (1.0 + eps)
    laws (fun (m, s) -> upcast Dist.Normal(sc m, sc s)) (m1, s1) (m2, s2)
    && laws (fun (m, s) -> upcast Dist.Normal(sc m, sc s)) (m1, s1) (m1, near)
    && laws (fun (m, s) -> upcast Dist.Laplace(sc m, sc s)) (m1, s1) (m1, near)
    && laws (fun (m, s) -> upcast Dist.Laplace(sc m, sc s)) (m1, s1) (m1 + s1 * eps, s1)
    && laws (fun (m, s) -> upcast Dist.Laplace(sc m, sc s)) (m1, s1) (m2, s2)
    && laws (fun (m, s) -> upcast Dist.LogNormal(sc (m / 100.0), sc s)) (m1, s1) (m2, s2)
    && laws (fun (m, s) -> upcast Dist.Normal(sc m, sc s)) (m1, s1) (m1, s2) // equal locations: only the scale gap

[<Property(MaxTest = 40, Replay = "(1203,23)", Arbitrary = [| typeof<ValidParameters> |])>]
let ``Exponential, HalfNormal, Gamma, Beta and Dirichlet KLs obey the laws at concentrations 1e-3 to 1e6 and scales 1e-6 to 1e6``
        (PositiveScale r1, PositiveScale r2, Concentration a1, Concentration a2, Concentration b1, Concentration b2,
         Concentration c, NearlyEqual eps) =
    engine ()
    let n (x: float) = x * (1.0 + eps)
    laws (fun r -> upcast Dist.Exponential(sc r)) r1 (n r1)
    && laws (fun s -> upcast Dist.HalfNormal(sc s)) r1 (n r1)
    && laws (fun (a, r) -> upcast Dist.Gamma(sc a, sc r)) (a1, r1) (n a1, r1)
    && laws (fun (a, r) -> upcast Dist.Gamma(sc a, sc r)) (a1, r1) (n a1, n r1)
    && laws (fun (a, b) -> upcast Dist.Beta(sc a, sc b)) (a1, b1) (n a1, b1)
    && laws (fun (a, b) -> upcast Dist.Beta(sc a, sc b)) (a1, b1) (n a1, n b1)
    && laws (fun (a, b, c) -> upcast Dist.Dirichlet(vec [| a; b; c |])) (a1, b1, c) (n a1, n b1, n c)
    && laws (fun r -> upcast Dist.Exponential(sc r)) r1 r2
    && laws (fun s -> upcast Dist.HalfNormal(sc s)) r1 r2
    && laws (fun (a, r) -> upcast Dist.Gamma(sc a, sc r)) (a1, r1) (a2, r2)
    && laws (fun (a, r) -> upcast Dist.Gamma(sc a, sc r)) (a1, r1) (a2, r1) // equal rates: only the shape part
    && laws (fun (a, b) -> upcast Dist.Beta(sc a, sc b)) (a1, b1) (a2, b2)
    && laws (fun (a, b) -> upcast Dist.Beta(sc a, sc b)) (a1, b1) (a2, b1)
    && laws (fun (a, b, c) -> upcast Dist.Dirichlet(vec [| a; b; c |])) (a1, b1, c) (a2, b2, c)

[<Property(MaxTest = 100, Replay = "(1203,19)", Arbitrary = [| typeof<ValidParameters> |])>]
let ``Bernoulli, Categorical and Uniform KLs obey the laws at probabilities 1e-6 to 1 - 1e-6 and widths 1e-6 to 1e6``
        (Probability p1, Probability p2, Probability p3, Probability p4, Location low, PositiveScale w, PositiveScale e1,
         PositiveScale e2, NearlyEqual eps) =
    engine ()
    laws (fun p -> upcast Dist.Bernoulli(sc p)) p1 p2
    && laws (fun p -> upcast Dist.Bernoulli(sc p)) p1 (if p1 < 0.5 then p1 * (1.0 + eps) else 1.0 - (1.0 - p1) * (1.0 + eps))
    && laws (fun (l, h) -> upcast Dist.Uniform(sc l, sc h)) (low, low + w) (low, low + w * (1.0 + abs eps))
    && laws (fun (a, b) -> upcast Dist.Categorical(vec [| a; b; 1.0 - a |])) (p1, p3) (p2, p4)
    // q's interval contains p's (else the KL is +inf, checked elsewhere).
    && laws (fun (l, h) -> upcast Dist.Uniform(sc l, sc h)) (low, low + w) (low - e1, low + w + e2)

[<Property(MaxTest = 60, Replay = "(1203,25)", Arbitrary = [| typeof<ValidParameters> |])>]
let ``MultivariateNormal KLs obey the laws for positive-definite covariances`` (PositiveDefinite(c1, l1),
                                                                                PositiveDefinite(c2, l2), Location m, NearlyEqual eps) =
    engine ()
    let loc = vec [| m; -m / 2.0; 0.0 |]
    let tril (l: float[]) : Distribution = upcast Dist.MultivariateNormalTril(loc, cpu64.Tensor(l, 3L, 3L))
    laws tril l1 l2
    && laws tril l1 (Array.mapi (fun i v -> if i = 4 then v * (1.0 + eps) else v) l1)
    && laws tril l1 (Array.mapi (fun i v -> if i = 3 then v + eps else v) l1)
    && laws (fun (c: float[]) -> upcast Dist.MultivariateNormal(loc * 0.5, cpu64.Tensor(c, 3L, 3L))) c1 c2

/// KL of a pair whose parameters are 1 + eps apart against its second-order expansion: the textbook forms return
/// round-off (zero, or of either sign) for |eps| ~ 1e-10; the gaps keep every digit. eps' is the relative difference of
/// the float64 parameters actually used (exact: Sterbenz), so the expansions hold to O(eps') relative.
[<Property(MaxTest = 100, Replay = "(1203,21)", Arbitrary = [| typeof<ValidParameters> |])>]
let ``nearly equal pairs have the KL of the second-order expansion, to relative O(eps)``
        (Location m, PositiveScale s, Concentration a, NearlyEqual eps) =
    engine ()
    use scope = torch.NewDisposeScope()
    let s2 = s * (1.0 + eps)
    let e = (s2 - s) / s
    let near (expected: float) (actual: float) = actual > 0.0 && abs (actual / expected - 1.0) <= 3.0 * abs e + 1e-12
    // N(m, s) || N(m, s (1 + e)): r = 1/(1 + e), (r^2 - 1)/2 - log r = e^2 - (5/3) e^3 + ...
    near (e * e) (kl (Dist.Normal(sc m, sc s)) (Dist.Normal(sc m, sc s2)))
    && near (e * e) (kl (Dist.HalfNormal(sc s)) (Dist.HalfNormal(sc s2)))
    // Exp(s) || Exp(s (1 + e)): (1 + e) - 1 - log(1 + e) = e^2/2 - e^3/3 + ...
    && near (e * e / 2.0) (kl (Dist.Exponential(sc s)) (Dist.Exponential(sc s2)))
    // Gamma(a, s) || Gamma(a, s (1 + e)): a (e - log(1 + e)).
    && near (a * e * e / 2.0) (kl (Dist.Gamma(sc a, sc s)) (Dist.Gamma(sc a, sc s2)))
    // Laplace(m, s) || Laplace(m, s (1 + e)): r - 1 - log r with r = 1/(1 + e).
    && near (e * e / 2.0) (kl (Dist.Laplace(sc m, sc s)) (Dist.Laplace(sc m, sc s2)))
    // N(m, s) || N(m + s e, s): z^2 / 2 with z = e (the shift relative to the scale).
    && (let m2 = m + s * eps in
        let z = (m - m2) / s in
        m2 = m || near (z * z / 2.0) (kl (Dist.Normal(sc m, sc s)) (Dist.Normal(sc m2, sc s))))

/// Nearly equal discrete pairs against the second-order expansion KL = sum_i delta_i^2 / (2 p_i) (1 + O(delta / p)), from
/// probabilities and from logits (KL(softmax(z) || softmax(z + d e_j)) = p_j (1 - p_j) d^2 / 2 (1 + O(d))): the textbook
/// log p - log q carries an absolute error of about eps |log p|, all of a log-ratio of 1e-10 at p = 1e-6.
[<Property(MaxTest = 200, Replay = "(1203,29)", Arbitrary = [| typeof<ValidParameters> |])>]
let ``nearly equal Bernoulli and Categorical pairs have the KL of the second-order expansion, from probabilities and logits``
        (Probability p, Probability w, NearlyEqual eps) =
    engine ()
    use scope = torch.NewDisposeScope()
    let near (expected: float) (e: float) (actual: float) = actual > 0.0 && abs (actual / expected - 1.0) <= 3.0 * abs e + 1e-12
    // Bernoulli(p) || Bernoulli(q), the smaller of p and 1 - p perturbed; delta = q - p exact (Sterbenz).
    let q = if p < 0.5 then p * (1.0 + eps) else 1.0 - (1.0 - p) * (1.0 + eps)
    let delta = q - p
    let bernoulli =
        delta = 0.0
        || near (delta * delta / (2.0 * p * (1.0 - p))) (delta / min p (1.0 - p)) (kl (Dist.Bernoulli(sc p)) (Dist.Bernoulli(sc q)))
    // From logits z and z + d: p (1 - p) d^2 / 2.
    let z = log p - log (1.0 - p)
    let z2 = z + eps * max 1.0 (abs z)
    let d = z2 - z
    let logits = near (p * (1.0 - p) * d * d / 2.0) d (kl (Dist.BernoulliLogits(sc z)) (Dist.BernoulliLogits(sc z2)))
    // Categorical over three classes with logits [log p; log w; 0], the first moved by d; and from unnormalised
    // probabilities proportional to [p; w; 1] with the first scaled by 1 + e (a logit shift of log(1 + e)).
    let p0 = p / (p + w + 1.0)
    let moved = log p + d
    let dc = moved - log p // the shift the float64 logits carry (exact: Sterbenz)
    let categoricalLogits =
        dc = 0.0
        || near (p0 * (1.0 - p0) * dc * dc / 2.0) dc
                (kl (Dist.CategoricalLogits(vec [| log p; log w; 0.0 |])) (Dist.CategoricalLogits(vec [| moved; log w; 0.0 |])))
    // Weights halved (the same distribution) so that the scaled one stays a valid probability <= 1.
    let a0 = p / 2.0
    let scaled = a0 * (1.0 + eps)
    // log(1 + e) by its series (|e| <= 1e-4: the omitted e^4/4 is below 1e-16 relative); Math.Log(1 + e) would round 1 + e.
    let e = (scaled - a0) / a0
    let shift = e - e * e / 2.0 + e * e * e / 3.0
    let categorical =
        scaled = a0
        || near (p0 * (1.0 - p0) * shift * shift / 2.0) shift
                (kl (Dist.Categorical(vec [| a0; w / 2.0; 0.5 |])) (Dist.Categorical(vec [| scaled; w / 2.0; 0.5 |])))
    bernoulli && logits && categoricalLogits && categorical

/// Cross-family KLs against a Normal with p's own mean and variance, the hardest case (for large concentrations p is
/// nearly normal and the KL, of order 1/concentration, falls towards the round-off of the entropy it subtracts):
/// never negative, never NaN, finite.
[<Property(MaxTest = 100, Replay = "(1203,27)", Arbitrary = [| typeof<ValidParameters> |])>]
let ``cross-family KLs to a moment-matched Normal are finite and never negative at concentrations 1e-3 to 1e6``
        (Concentration a, Concentration b, PositiveScale r) =
    engine ()
    use scope = torch.NewDisposeScope()
    let matched (p: Distribution) = Dist.Normal(p.Mean, p.StdDev)
    let ok (p: Distribution) = let d = kl p (matched p) in Double.IsFinite d && d >= 0.0
    ok (Dist.Gamma(sc a, sc r)) && ok (Dist.Beta(sc a, sc b)) && ok (Dist.Beta(sc a, sc a)) && ok (Dist.Exponential(sc r))
    && ok (Dist.Laplace(sc 0.0, sc r))
