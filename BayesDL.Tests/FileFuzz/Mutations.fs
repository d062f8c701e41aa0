/// The mutations the fuzz applies to a valid file: truncations, bit flips, byte insertions and header edits, drawn by
/// FsCheck generators from a seed, so a failing case is reproduced by its seed and index.
module BayesDL.FileFuzz.Mutations

open FsCheck
open FsCheck.FSharp

type Mutation =
    /// Keep the first n bytes (n < length).
    | Truncate of length: int
    /// Flip these (byte offset, bit) pairs (distinct offsets).
    | FlipBits of (int * int) list
    /// Insert bytes before an offset.
    | Insert of offset: int * bytes: byte[]
    /// Replace the byte at an offset of the file's header region by another value.
    | HeaderEdit of offset: int * value: byte

    override this.ToString() =
        match this with
        | Truncate n -> sprintf "truncate to %d bytes" n
        | FlipBits flips -> flips |> List.map (fun (o, b) -> sprintf "flip bit %d of byte %d" b o) |> String.concat ", "
        | Insert(o, bytes) -> sprintf "insert %s at byte %d" (System.Convert.ToHexString bytes) o
        | HeaderEdit(o, v) -> sprintf "set header byte %d to 0x%02X" o v

/// Applies a mutation; every mutation changes the bytes (a header edit never writes the byte already there).
let apply (original: byte[]) (m: Mutation) : byte[] =
    match m with
    | Truncate n -> original[.. n - 1]
    | FlipBits flips ->
        let copy = Array.copy original
        for (o, b) in flips do copy[o] <- copy[o] ^^^ (1uy <<< b)
        copy
    | Insert(o, bytes) -> Array.concat [ original[.. o - 1]; bytes; original[o ..] ]
    | HeaderEdit(o, v) ->
        let copy = Array.copy original
        copy[o] <- v
        copy

/// The generator of mutations of a file of `length` bytes whose header occupies [headerStart, headerEnd);
/// `headerValues` are the replacement bytes a header edit draws from (text characters for JSON or CSV headers, any
/// byte for binary ones).
let generator (length: int) (headerStart: int, headerEnd: int) (headerValues: byte[]) (original: byte[]) : Gen<Mutation> =
    let truncate = Gen.choose (0, length - 1) |> Gen.map Truncate
    let flips =
        gen {
            let! count = Gen.choose (1, 3)
            let! offsets = Gen.choose (0, length - 1) |> Gen.listOfLength count
            let! bits = Gen.choose (0, 7) |> Gen.listOfLength count
            return List.zip offsets bits |> List.distinctBy fst |> FlipBits
        }
    let insert =
        gen {
            let! offset = Gen.choose (0, length)
            let! count = Gen.choose (1, 8)
            let! bytes = Gen.choose (0, 255) |> Gen.map byte |> Gen.arrayOfLength count
            return Insert(offset, bytes)
        }
    let edit =
        gen {
            let! offset = Gen.choose (headerStart, headerEnd - 1)
            let choices = headerValues |> Array.filter (fun v -> v <> original[offset])
            let! value = Gen.elements choices
            return HeaderEdit(offset, value)
        }
    Gen.oneof [ truncate; flips; insert; edit ]

/// `count` mutations drawn from `seed`.
let sample (seed: uint64) (count: int) (g: Gen<Mutation>) : Mutation[] =
    Gen.sampleWithSeed (Rnd(seed, 0x9E3779B97F4A7C15UL)) 100 count g
