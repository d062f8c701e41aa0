module BayesDL.Tests.Mcmc.LeapfrogTests

open Xunit
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open TorchSharp
open BayesDL.Mcmc
open BayesDL.Tests.TestSupport

/// A random leapfrog problem: D coordinates with target scales sigma_i and inverse masses m_i, start (q, p),
/// a step size with eps * omega_max < 1.9 (omega_i^2 = m_i / sigma_i^2: stable), and a number of steps.
type Problem = Problem of sigma: float[] * invMass: float[] * q: float[] * p: float[] * epsFraction: float * steps: int

type Problems =
    static member Problem() =
        gen {
            let! d = Gen.choose (1, 4)
            let positive = Gen.choose (1, 100) |> Gen.map (fun k -> 0.1 * float k)
            let real = Gen.choose (-300, 300) |> Gen.map (fun k -> 0.01 * float k)
            let! sigma = Gen.arrayOfLength d positive
            let! invMass = Gen.arrayOfLength d positive
            let! q = Gen.arrayOfLength d real
            let! p = Gen.arrayOfLength d real
            let! fraction = Gen.choose (1, 95) |> Gen.map (fun k -> 0.02 * float k)
            let! steps = Gen.choose (1, 40)
            return Problem(sigma, invMass, q, p, fraction, steps)
        } |> Arb.fromGen

let private gaussian (sigma: float[]) =
    let s = cpu64.Tensor(sigma, int64 sigma.Length)
    LogDensity.FromBatchedFunction(sigma.Length, (fun x -> -0.5 * (x / s).square().sum(1L)), cpu64)

let private run (target: LogDensity) (q: float[]) (p: float[]) (invMass: float[]) (eps: float) steps =
    let struct (lp, g0) = Leapfrog.ValueAndGradient(target, q, 1)
    let s = Leapfrog.Integrate(target, PhasePoint(q, p, g0, lp[0]), eps, DiagonalMetric(invMass), steps)
    s.Q, s.P

let private energy (sigma: float[]) (invMass: float[]) (q: float[]) (p: float[]) =
    Array.init q.Length (fun i -> 0.5 * (q[i] / sigma[i]) ** 2.0 + 0.5 * invMass[i] * p[i] ** 2.0)

[<Property(MaxTest = 60, Replay = "(2026,11)", Arbitrary = [| typeof<Problems> |])>]
let ``leapfrog is reversible: integrate, negate the momentum, integrate again, and you are back`` (Problem(sigma, invMass,
                                                                                                           q, p, fraction, steps)) =
    engine ()
    // A non-Gaussian target (a quartic term) so that reversibility is not an accident of linear dynamics; a step well
    // inside the stable range (eps omega < 0.5), since in an unstable (chaotic) regime round-off alone grows exponentially.
    let s = cpu64.Tensor(sigma, int64 sigma.Length)
    let target = LogDensity.FromBatchedFunction(sigma.Length,
                                                (fun x -> let z = x / s in -(0.5 * z.square() + 0.01 * z.square().square()).sum(1L)), cpu64)
    let omega = Array.map2 (fun m sd -> sqrt m / sd) invMass sigma |> Array.max
    let eps = 0.25 * fraction / omega
    let q = Array.map2 (*) q sigma // start within 3 sd, where the quartic term at most raises the local frequency by 1.5
    let q1, p1 = run target q p invMass eps steps
    let q2, p2 = run target q1 (Array.map (~-) p1) invMass eps steps
    Array.forall2 (fun a b -> abs (a - b) < 1e-8 * (1.0 + abs a)) q q2 && Array.forall2 (fun a b -> abs (a + b) < 1e-8 * (1.0 + abs a)) p p2

[<Property(MaxTest = 80, Replay = "(7,5)", Arbitrary = [| typeof<Problems> |])>]
let ``leapfrog's energy error is O(eps^2): within the exact bound for a Gaussian`` (Problem(sigma, invMass, q, p, fraction, steps)) =
    engine ()
    // For H_i = p^2 m / 2 + q^2 / (2 sigma^2), leapfrog exactly conserves the shadow energy
    // H~_i = H_i - eps^2 omega^4 q'^2 / 8 (q' = q / sqrt m, omega^2 = m / sigma^2), so
    // |Delta H_i| = eps^2 omega^4 |q'_t^2 - q'_0^2| / 8 <= eps^2 omega_i^2 H_i(0) / (4 - eps^2 omega_i^2) after any number of steps.
    // Euler steps or a wrong half-step break this bound at first order in eps.
    let omega = Array.map2 (fun m sd -> sqrt m / sd) invMass sigma
    let eps = fraction / Array.max omega
    let q1, p1 = run (gaussian sigma) q p invMass eps steps
    let h0, h1 = energy sigma invMass q p, energy sigma invMass q1 p1
    Array.forall id (Array.init q.Length (fun i ->
        let w2 = (eps * omega[i]) ** 2.0
        abs (h1[i] - h0[i]) <= w2 * h0[i] / (4.0 - w2) + 1e-10))
