/// FsCheck wrapper types for valid distribution parameters, in the manner of FsCheck's PositiveInt and NormalFloat:
/// each is a single-case union with its own Arbitrary that generates inside the valid range (never by filtering), and
/// properties destructure it in their signature, e.g. ``prop`` (PositiveScale s) (Concentration a) = ...
/// Register the Arbitraries with [<Property(Arbitrary = [| typeof<ValidParameters> |])>]. The ranges are the extremes
/// BayesDL promises to handle: scales and rates 1e-6..1e6, concentrations 1e-3..1e6, probabilities 1e-6..1 - 1e-6;
/// magnitudes are log-uniform (every decade as likely) and the ends of each range are drawn on purpose.
module BayesDL.Tests.Distributions.ValidParameters

open FsCheck
open FsCheck.FSharp

/// A scale, standard deviation or rate in [1e-6, 1e6].
type PositiveScale = PositiveScale of float

/// A concentration (shape) parameter in [1e-3, 1e6].
type Concentration = Concentration of float

/// A probability in [1e-6, 1 - 1e-6], log-uniform towards either end.
type Probability = Probability of float

/// A location in [-1e3, 1e3].
type Location = Location of float

/// A 3 x 3 symmetric positive-definite covariance with its lower Cholesky factor (both row-major): the factor has a
/// log-uniform diagonal in [0.1, 10] and off-diagonal entries in [-1, 1] (condition numbers up to ~1e6).
type PositiveDefinite = PositiveDefinite of covariance: float[] * scaleTril: float[]

/// A relative perturbation eps, |eps| log-uniform in [1e-10, 1e-4], either sign: q's parameter is p's times 1 + eps,
/// for nearly equal pairs.
type NearlyEqual = NearlyEqual of float

/// One of the batch shapes (), (4,) and (2, 3).
type BatchShape = BatchShape of int64[]

let private uniform lo hi = Gen.choose (0, 1_000_000) |> Gen.map (fun i -> lo + (hi - lo) * float i / 1e6)

/// Log-uniform in [lo, hi], with each end drawn one time in ten.
let private logUniformWithEnds lo hi =
    Gen.frequency [ 1, Gen.constant lo; 1, Gen.constant hi; 8, uniform (log lo) (log hi) |> Gen.map exp ]

let private choleskyFactor =
    gen {
        let! diagonal = Gen.arrayOfLength 3 (uniform (log 0.1) (log 10.0) |> Gen.map exp)
        let! lower = Gen.arrayOfLength 3 (uniform -1.0 1.0)
        return [| diagonal[0]; 0.0; 0.0; lower[0]; diagonal[1]; 0.0; lower[1]; lower[2]; diagonal[2] |]
    }

/// L L^T for a row-major 3 x 3 L.
let covarianceOf (l: float[]) =
    Array.init 9 (fun ij -> let i, j = ij / 3, ij % 3 in List.sum [ for k in 0..2 -> l[3 * i + k] * l[3 * j + k] ])

type ValidParameters =
    static member PositiveScale() = logUniformWithEnds 1e-6 1e6 |> Gen.map PositiveScale |> Arb.fromGen
    static member Concentration() = logUniformWithEnds 1e-3 1e6 |> Gen.map Concentration |> Arb.fromGen
    static member Probability() =
        Gen.oneof [ logUniformWithEnds 1e-6 0.5; logUniformWithEnds 1e-6 0.5 |> Gen.map (fun p -> 1.0 - p) ]
        |> Gen.map Probability |> Arb.fromGen
    static member Location() =
        Gen.frequency [ 1, Gen.constant -1e3; 1, Gen.constant 1e3; 1, Gen.constant 0.0; 7, uniform -1e3 1e3 ]
        |> Gen.map Location |> Arb.fromGen
    static member PositiveDefinite() =
        choleskyFactor |> Gen.map (fun l -> PositiveDefinite(covarianceOf l, l)) |> Arb.fromGen
    static member NearlyEqual() =
        Gen.map2 (fun m sign -> NearlyEqual(if sign then m else -m)) (uniform (log 1e-10) (log 1e-4) |> Gen.map exp)
            (Gen.elements [ true; false ])
        |> Arb.fromGen
    static member BatchShape() = Gen.elements [ [||]; [| 4L |]; [| 2L; 3L |] ] |> Gen.map BatchShape |> Arb.fromGen
