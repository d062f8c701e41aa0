module BayesDL.Tests.Mcmc.MetricTests

open System
open Xunit
open MathNet.Numerics.LinearAlgebra
open MathNet.Numerics.Distributions
open BayesDL.Mcmc
open BayesDL.Tests.TestSupport

/// A random symmetric positive definite matrix A A^T + 0.5 I, row-major.
let private spd (rng: Random) d =
    let a = Matrix<float>.Build.Dense(d, d, fun _ _ -> 2.0 * rng.NextDouble() - 1.0)
    (a * a.Transpose() + 0.5 * Matrix<float>.Build.DenseIdentity d).ToRowMajorArray()

let private entry (metric: Metric) d i j =
    metric.Inner(Array.init d (fun k -> if k = i then 1.0 else 0.0), Array.init d (fun k -> if k = j then 1.0 else 0.0))

let private close (what: string) (expected: float) (actual: float) =
    Assert.True(abs (actual - expected) <= 1e-12 * (1.0 + abs expected), sprintf "%s: %.17g against %.17g" what actual expected)

[<Fact>]
let ``a dense metric with a diagonal matrix acts as the diagonal metric`` () =
    engine ()
    let rng = Random 3
    let d = 5
    let m = Array.init d (fun _ -> 0.1 + 4.0 * rng.NextDouble())
    let dense = DenseMetric(Array.init (d * d) (fun k -> if k / d = k % d then m[k / d] else 0.0), d)
    let diagonal = DiagonalMetric m
    Assert.Equal<float[]>(m, dense.InverseMassDiagonal)
    for _ in 1 .. 20 do
        let a, b = Array.init d (fun _ -> rng.NextDouble() - 0.5), Array.init d (fun _ -> rng.NextDouble() - 0.5)
        close "a^T M^-1 b" (diagonal.Inner(a, b)) (dense.Inner(a, b))
        let q1, q2 = Array.zeroCreate d, Array.zeroCreate d
        diagonal.Drift(a, b, 0.3, q1)
        dense.Drift(a, b, 0.3, q2)
        Array.iteri2 (fun i x y -> close (sprintf "drift %d" i) x y) q1 q2
        let p1, p2 = Array.copy a, Array.copy a
        diagonal.ScaleMomentum p1
        dense.ScaleMomentum p2
        Array.iteri2 (fun i x y -> close (sprintf "momentum %d" i) x y) p1 p2

[<Fact>]
let ``the dense metric's inner product and drift use M^-1 itself`` () =
    engine ()
    let rng = Random 5
    let d = 4
    let inverseMass = spd rng d
    let metric = DenseMetric(inverseMass, d)
    let m = Matrix<float>.Build.DenseOfRowMajor(d, d, inverseMass)
    let a, b = Array.init d (fun _ -> rng.NextDouble() - 0.5), Array.init d (fun _ -> rng.NextDouble() - 0.5)
    close "a^T M^-1 b" (Vector<float>.Build.Dense(a) * m * Vector<float>.Build.Dense(b)) (metric.Inner(a, b))
    let q = Array.zeroCreate d
    metric.Drift(a, b, 0.7, q)
    let expected = Vector<float>.Build.Dense(a) + 0.7 * (m * Vector<float>.Build.Dense(b))
    Array.iteri (fun i v -> close (sprintf "drift %d" i) expected[i] v) q

[<Fact>]
let ``momenta drawn through a dense metric have covariance M, the inverse of M^-1`` () =
    // Sample covariance of n draws against M: entry (i, j) has standard error sqrt((M_ii M_jj + M_ij^2) / n) for Gaussian
    // draws; 4.5 standard errors over the 6 distinct entries leave a correct scaling a 4e-5 chance of failing.
    engine ()
    let rng = Random 7
    let d, n = 3, 40_000
    let inverseMass = spd rng d
    let metric = DenseMetric(inverseMass, d)
    let mass = Matrix<float>.Build.DenseOfRowMajor(d, d, inverseMass).Inverse()
    let normal = Normal(0.0, 1.0, Random 11)
    let draws = Array.init n (fun _ -> let z = Array.init d (fun _ -> normal.Sample()) in metric.ScaleMomentum z; z)
    for i in 0 .. d - 1 do
        for j in i .. d - 1 do
            let s = (draws |> Array.sumBy (fun p -> p[i] * p[j])) / float n
            let se = sqrt ((mass[i, i] * mass[j, j] + mass[i, j] ** 2.0) / float n)
            Assert.True(abs (s - mass[i, j]) < 4.5 * se, sprintf "Cov(p)[%d, %d] = %g against M = %g (SE %g)" i j s mass[i, j] se)

[<Fact>]
let ``leapfrog with the posterior covariance as dense metric conserves energy as a unit-frequency oscillator`` () =
    // For the Gaussian target N(0, Sigma) and M^-1 = Sigma, the coordinates y = L^-1 q, u = L^T p (Sigma = L L^T) turn H into
    // (|y|^2 + |u|^2) / 2: every mode has frequency 1, so leapfrog's energy error after any number of steps is at most
    // eps^2 H(0) / (4 - eps^2). A drift or kinetic energy that used another matrix than M^-1 changes the frequencies and
    // breaks the bound at first order.
    engine ()
    let rng = Random 13
    let d = 4
    let sigma = spd rng d
    let precision = Matrix<float>.Build.DenseOfRowMajor(d, d, sigma).Inverse()
    let p = cpu64.Tensor(precision.ToRowMajorArray(), int64 d, int64 d)
    let target = LogDensity.FromBatchedFunction(d, (fun x -> -0.5 * (x.matmul(p) * x).sum(1L)), cpu64)
    let metric = DenseMetric(sigma, d)
    for trial in 1 .. 10 do
        let q = Array.init d (fun _ -> 2.0 * rng.NextDouble() - 1.0)
        let z = Array.init d (fun _ -> 2.0 * rng.NextDouble() - 1.0)
        metric.ScaleMomentum z
        let struct (lp, g) = Leapfrog.ValueAndGradient(target, q, 1)
        let start = PhasePoint(q, z, g, lp[0])
        let eps = 0.1 + 1.7 * rng.NextDouble()
        let finish = Leapfrog.Integrate(target, start, eps, metric, 1 + rng.Next 30)
        let h0, h1 = start.Hamiltonian metric, finish.Hamiltonian metric
        let bound = eps * eps * h0 / (4.0 - eps * eps) + 1e-10
        Assert.True(abs (h1 - h0) <= bound, sprintf "trial %d: eps %g, |dH| = %g above %g" trial eps (abs (h1 - h0)) bound)

[<Fact>]
let ``a window's estimate is the shrunk sample covariance: Stan's absolute ridge on the diagonal, a relative one when dense`` () =
    engine ()
    let rng = Random 17
    let d, n = 3, 200
    let draws = Array.init n (fun _ -> [| rng.NextDouble(); 1e-3 * rng.NextDouble(); 5.0 |]) // the third coordinate never moves
    for row in draws do row[0] <- row[0] + 300.0 * row[1]
    let column k = draws |> Array.map (fun r -> r[k])
    let covariance i j = MathNet.Numerics.Statistics.Statistics.Covariance(column i, column j)
    let shrink, ridge = float n / float (n + 5), 1e-3 * 5.0 / float (n + 5)
    let diagonalWindow, denseWindow = WindowCovariance(d, false), WindowCovariance(d, true)
    for row in draws do
        diagonalWindow.Add row
        denseWindow.Add row
    let diagonal, dense = diagonalWindow.Regularized(), denseWindow.Regularized()
    for i in 0 .. d - 1 do
        let stan = shrink * covariance i i + ridge
        Assert.True(abs (diagonal.InverseMassDiagonal[i] - stan) <= 1e-12 * stan,
                    sprintf "diagonal %d: %g against %g" i diagonal.InverseMassDiagonal[i] stan)
        for j in 0 .. d - 1 do
            let expected =
                shrink * covariance i j + (if i <> j then 0.0 elif covariance i i > 0.0 then ridge * covariance i i else ridge)
            Assert.True(abs (entry dense d i j - expected) <= 1e-9 * (abs expected + 1e-12),
                        sprintf "dense (%d, %d): %g against %g" i j (entry dense d i j) expected)
    // Fewer than two draws: the identity, as at the start of warm-up.
    let one = WindowCovariance(d, true)
    one.Add draws[0]
    Assert.Equal<float[]>([| 1.0; 1.0; 1.0 |], one.Regularized().InverseMassDiagonal)

[<Fact>]
let ``the dense estimate follows the parameters' units: a coordinate rescaled by c scales its row and column of M^-1 by c`` () =
    // Stan's absolute ridge (1e-3 I) would make the estimate for a coordinate of scale 1e-4 mostly ridge.
    engine ()
    let rng = Random 19
    let d, n, c = 3, 60, 1e-4
    let draws = Array.init n (fun _ -> Array.init d (fun _ -> rng.NextDouble()))
    for row in draws do row[2] <- row[2] + row[0]
    let original, rescaled = WindowCovariance(d, true), WindowCovariance(d, true)
    for row in draws do
        original.Add row
        rescaled.Add [| row[0]; c * row[1]; row[2] |]
    let a, b = original.Regularized(), rescaled.Regularized()
    for i in 0 .. d - 1 do
        for j in 0 .. d - 1 do
            let factor = (if i = 1 then c else 1.0) * (if j = 1 then c else 1.0)
            let expected = factor * entry a d i j
            Assert.True(abs (entry b d i j - expected) <= 1e-9 * abs expected,
                        sprintf "(%d, %d): %g against %g" i j (entry b d i j) expected)
