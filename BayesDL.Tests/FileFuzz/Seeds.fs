/// The readers under fuzz: for each, a valid file, the region its header occupies, how to read a file, and the oracle
/// that says whether a mutated file is still valid (and what reading it must give).
module BayesDL.FileFuzz.Seeds

open System
open System.Buffers.Binary
open System.Globalization
open System.IO
open System.IO.Compression
open System.Text
open System.Text.Json
open TorchSharp
open BayesDL.Data
open BayesDL.Engine
open BayesDL.Layers
open BayesDL.Models
open BayesDL.Predictive
open BayesDL.Objectives
open BayesDL.Training
open BayesDL.Validation

type Reader =
    { Name: string
      /// Writes the valid file at the path and returns its bytes.
      Create: string -> byte[]
      /// [start, end) of the header within the valid file.
      Header: byte[] -> int * int
      /// The bytes a header edit writes.
      HeaderValues: byte[]
      /// Reads the file at the path (throwing on a bad file) and returns a fingerprint of what it read.
      Read: string -> string
      /// Some fingerprint when the bytes are a valid file (reading must succeed and give it), None when invalid.
      Oracle: byte[] -> string option
      /// Whether a refusal names the fuzzed file (at the path given): the exception's Path, for every reader but the
      /// manifest, whose checksum mismatch names the data file that no longer matches and the manifest as the record.
      Names: FileFormatException -> string -> bool }

/// The exception's Path is the file.
let private namesFile (e: FileFormatException) (path: string) = e.Path = path

let private jsonChars = Encoding.ASCII.GetBytes "0123456789{}[]\":,.-eE aZ"

/// [start, end) of the JSON header in a file of BayesDL's checksummed frame: magic, preamble, length, SHA-256, header.
let private frameHeader (bytes: byte[]) =
    use reader = new BinaryReader(new MemoryStream(bytes))
    reader.ReadString() |> ignore
    reader.ReadString() |> ignore
    reader.ReadInt64() |> ignore
    reader.ReadBytes 32 |> ignore
    let start = int reader.BaseStream.Position
    reader.ReadString() |> ignore
    start, int reader.BaseStream.Position

/// A checksummed file: valid only unchanged (every mutation changes the bytes, so every mutated file must be refused).
let private sealedOracle (original: byte[] ref) (bytes: byte[]) =
    if bytes.AsSpan().SequenceEqual(ReadOnlySpan original.Value) then Some "unchanged" else None

let private classifier (seed: int64) =
    NativeEngine.Seed seed
    BayesianNetwork.Create(Likelihood.Categorical(), BayesNN.BayesLinear(2L, 4L), torch.nn.ReLU(), BayesNN.BayesLinear(4L, 2L))

/// The 2-4-2 ReLU classifier the ensemble, SWAG and SG-MCMC seeds are made of.
let private smallClassifier () =
    BayesDL.Builders.ModelBuilder.Sequential().Linear(2L, 4L).Relu().Linear(4L, 2L)
        .WithLikelihood(BayesDL.Builders.Likelihoods.Categorical())

let private blobs () =
    NativeEngine.Seed 8L
    new LabeledData(torch.randn(16L, 2L), torch.randint(2L, [| 16L |], dtype = torch.ScalarType.Int64))

let private trainerOptions (path: string) =
    TrainerOptions(Epochs = 1, BatchSize = 8, Seed = 3L, Checkpoint = CheckpointOptions(path))

/// A VAE-family fit (checkpoint kind VaeFamily) of one epoch on a tiny VAE: writes the checkpoint, or resumes from it.
let private vaeRun (path: string) =
    NativeEngine.Seed 4L
    use vae = ComputePolicy.Cpu.Apply(new Vae(BayesDL.Builders.VaeNetworks.MlpEncoder(3L, 4L), 4L,
                                              BayesDL.Builders.VaeNetworks.MlpDecoder(2L, [| 4L |], 3L), BernoulliDecoder(), 3L, 2L))
    NativeEngine.Seed 6L
    use rows = torch.rand(12L, 3L)
    let options = BayesDL.Builders.VariationalFitOptions(Epochs = 1, BatchSize = 4, LearningRate = 0.01, Seed = 3L,
                                                         Checkpoint = CheckpointOptions(path))
    BayesDL.Builders.VaeFitting.Fit(vae, rows, options) |> ignore

/// A model file in the checksummed frame: `write` saves it, `read` loads it and returns what it read; only the unchanged
/// file is valid, and it must read as `expected`.
let private sealedModelFile (name: string) (write: string -> unit) (read: string -> string) (expected: string) =
    let original = ref [||]
    { Name = name
      Create = fun path ->
        write path
        original.Value <- File.ReadAllBytes path
        original.Value
      Header = frameHeader
      HeaderValues = jsonChars
      Read = read
      Oracle = fun bytes -> sealedOracle original bytes |> Option.map (fun _ -> expected)
      Names = namesFile }

let model =
    sealedModelFile "model"
        (fun path ->
            use m = classifier 1L
            ModelFile.Save(m, path))
        (fun path ->
            use m = ModelFile.Load(path, ComputePolicy.Cpu)
            "unchanged")
        "unchanged"

/// A model file of a 2-member deep ensemble (format version 4, kind Ensemble).
let ensembleModel =
    sealedModelFile "ensemble-model"
        (fun path ->
            let declared = smallClassifier ()
            let ensemble = BayesDL.Builders.EnsembleBuilding.BuildEnsemble(declared, 2, 1L, ComputePolicy.Cpu)
            ModelFile.SaveEnsemble(ensemble, path)
            for m in ensemble.Members do m.Dispose())
        (fun path ->
            let ensemble = ModelFile.LoadEnsemble(path, ComputePolicy.Cpu)
            for m in ensemble.Members do m.Dispose()
            "unchanged")
        "unchanged"

/// A model file of a small VAE with a learned-scale Gaussian decoder (format version 4, kind Vae).
let vaeModel =
    sealedModelFile "vae-model"
        (fun path ->
            NativeEngine.Seed 5L
            let encoder = BayesDL.Builders.ModelBuilder.Sequential().Linear(3L, 4L).Relu()
            let decoder = BayesDL.Builders.ModelBuilder.Sequential().Linear(2L, 4L).Relu().Linear(4L, 6L)
            let declared =
                BayesDL.Builders.ModelBuilder.Vae(encoder, decoder, 2L).WithLikelihood(BayesDL.Builders.Likelihoods.GaussianLearned())
            use vae = declared.Build(ComputePolicy.Cpu)
            ModelFile.SaveVae(vae, path))
        (fun path ->
            use vae = ModelFile.LoadVae(path, ComputePolicy.Cpu)
            "unchanged")
        "unchanged"

/// A model file of a regression network trained on standardised data (format version 5: kind and Scaling record); it must
/// read back its statistics.
let standardizedModel =
    sealedModelFile "standardized-model"
        (fun path ->
            NativeEngine.Seed 2L
            use m =
                BayesianNetwork.Create(Likelihood.FromSpec(BayesDL.Builders.Likelihoods.Heteroscedastic()), BayesNN.BayesLinear(3L, 4L),
                                       torch.nn.ReLU(), BayesNN.BayesLinear(4L, 2L))
            ModelFile.Save(m, path, Standardization.Of([| 1.5; -2.0; 100.0 |], [| 0.5; 3.0; 20.0 |], 7.25, 1.75)))
        (fun path ->
            use m = ModelFile.Load(path, ComputePolicy.Cpu)
            let s = ModelFile.StandardizationOf path
            sprintf "%A %A %g %g" (Seq.toList s.InputMean) (Seq.toList s.InputScale) s.TargetMean s.TargetScale)
        "[1.5; -2.0; 100.0] [0.5; 3.0; 20.0] 7.25 1.75"

/// A model file of a last-layer KFAC Laplace posterior of a small classifier (format version 4, kind Laplace).
let laplaceModel =
    sealedModelFile "laplace-model"
        (fun path ->
            NativeEngine.Seed 3L
            use net = torch.nn.Sequential(torch.nn.Linear(2L, 4L), torch.nn.ReLU(), torch.nn.Linear(4L, 2L))
            use data = blobs ()
            use likelihood = Likelihood.Categorical()
            use posterior = BayesDL.Posthoc.LaplacePosterior.Fit(net, likelihood, data)
            ModelFile.SaveLaplace(posterior, path))
        (fun path ->
            use posterior = ModelFile.LoadLaplace(path, ComputePolicy.Cpu)
            "unchanged")
        "unchanged"

/// A model file of a SWAG posterior of a small classifier (format version 6, kind Swag).
let swagModel =
    sealedModelFile "swag-model"
        (fun path ->
            use data = blobs ()
            let declared = smallClassifier ()
            let options = BayesDL.Swag.SwagOptions(Rank = 2, Epochs = 2, BurnInEpochs = 1, BatchSize = 8, SnapshotsPerEpoch = 2)
            use posterior = BayesDL.Builders.PosteriorFitting.FitSwag(declared, data, options, ComputePolicy.Cpu)
            ModelFile.SaveSwag(posterior, path))
        (fun path ->
            use posterior = ModelFile.LoadSwag(path, ComputePolicy.Cpu)
            "unchanged")
        "unchanged"

/// A model file of an SG-MCMC posterior of a small classifier, two chains (format version 6, kind Sgmcmc).
let sgmcmcModel =
    sealedModelFile "sgmcmc-model"
        (fun path ->
            use data = blobs ()
            let declared = smallClassifier ()
            let options = BayesDL.Mcmc.SgmcmcOptions(Epochs = 2, BurnInEpochs = 1, BatchSize = 8, Thinning = 1, Chains = 2)
            let posterior = BayesDL.Builders.PosteriorFitting.FitSgmcmc(declared, data, options, ComputePolicy.Cpu)
            ModelFile.SaveSgmcmc(posterior, path))
        (fun path ->
            ModelFile.LoadSgmcmc(path, ComputePolicy.Cpu) |> ignore
            "unchanged")
        "unchanged"

let trainerCheckpoint =
    let original = ref [||]
    { Name = "trainer-checkpoint"
      Create = fun path ->
        use m = classifier 1L
        use data = blobs ()
        Trainer(trainerOptions path).Fit(m, data) |> ignore
        original.Value <- File.ReadAllBytes path
        original.Value
      Header = frameHeader
      HeaderValues = jsonChars
      // Resuming a run of one epoch from a checkpoint after epoch 1 loads it and trains no further.
      Read = fun path ->
        use m = classifier 99L
        use data = blobs ()
        Trainer(trainerOptions path).Fit(m, data) |> ignore
        "unchanged"
      Oracle = sealedOracle original
      Names = namesFile }

let vaeCheckpoint =
    let original = ref [||]
    { Name = "vae-checkpoint"
      Create = fun path ->
        vaeRun path
        original.Value <- File.ReadAllBytes path
        original.Value
      Header = frameHeader
      HeaderValues = jsonChars
      Read = fun path ->
        vaeRun path
        "unchanged"
      Oracle = sealedOracle original
      Names = namesFile }

/// What an IDX file holds: its sizes and data (fingerprint).
let private idxPrint (dims: int[]) (data: byte[]) =
    sprintf "%s|%s" (String.Join("x", dims)) (Convert.ToHexString(Security.Cryptography.SHA256.HashData data))

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as gzip's trailer records it.
let private crc32 (data: byte[]) =
    let mutable crc = 0xFFFFFFFFu
    for b in data do
        crc <- crc ^^^ uint32 b
        for _ in 1 .. 8 do crc <- if crc &&& 1u <> 0u then (crc >>> 1) ^^^ 0xEDB88320u else crc >>> 1
    ~~~crc

/// The IDX format (LeCun et al.): 00 00 08 rank, rank big-endian int32 sizes >= 0, then exactly their product of bytes
/// (a file with more or fewer bytes than its header promises is corrupt); gzip when it starts with 1f 8b.
let rec private idxOracle (bytes: byte[]) : string option =
    if bytes.Length >= 2 && bytes[0] = 0x1fuy && bytes[1] = 0x8buy then
        // One gzip member (RFC 1952): the deflate data decode, and the file ends with the trailer recording the
        // CRC-32 and the length (mod 2^32) of what they decode to. A cut or changed trailer, or bytes after it, is corrupt.
        try
            use gz = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress)
            use out = new MemoryStream()
            gz.CopyTo out
            let data = out.ToArray()
            let trailer (offset: int) = BinaryPrimitives.ReadUInt32LittleEndian(ReadOnlySpan(bytes, bytes.Length - 8 + offset, 4))
            if bytes.Length >= 18 && trailer 0 = crc32 data && trailer 4 = uint32 data.LongLength then idxOracle data else None
        with _ -> None
    elif bytes.Length < 4 || bytes[0] <> 0uy || bytes[1] <> 0uy || bytes[2] <> 8uy || bytes[3] = 0uy then None
    else
        let rank = int bytes[3]
        if bytes.Length < 4 + 4 * rank then None
        else
            let dims = Array.init rank (fun d -> BinaryPrimitives.ReadInt32BigEndian(ReadOnlySpan(bytes, 4 + 4 * d, 4)))
            if dims |> Array.exists (fun d -> d < 0) then None
            else
                let total = dims |> Array.fold (fun acc d -> acc * bigint d) 1I
                if total <> bigint (bytes.Length - 4 - 4 * rank) then None
                else Some(idxPrint dims bytes[4 + 4 * rank ..])

let idx =
    { Name = "idx"
      Create = fun path ->
        let rng = Random 5
        let dims = [| 12; 3; 4 |]
        let data = Array.init (12 * 3 * 4) (fun _ -> byte (rng.Next 256))
        let header =
            Array.concat
                [ [| 0uy; 0uy; 8uy; 3uy |];
                  dims |> Array.collect (fun d -> let b = Array.zeroCreate 4 in BinaryPrimitives.WriteInt32BigEndian(Span b, d); b) ]
        let bytes = Array.append header data
        File.WriteAllBytes(path, bytes)
        bytes
      Header = fun _ -> 0, 16
      HeaderValues = Array.init 256 byte
      Read = fun path ->
        use reader = IdxReader.Open path
        // Record by record: a header promising absurd counts must fail in the reader, not in this harness's allocation.
        use data = new MemoryStream()
        for record in reader.Records() do data.Write(record, 0, record.Length)
        idxPrint reader.Dimensions (data.ToArray())
      Oracle = idxOracle
      Names = namesFile }

/// The IDX file gzipped, as the MNIST downloads are: mutations hit the compressed stream and its gzip header.
let idxGzip =
    { idx with
        Name = "idx-gzip"
        Create = fun path ->
            let plain = idx.Create path
            use compressed = new MemoryStream()
            do
                use gz = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen = true)
                gz.Write(plain, 0, plain.Length)
            File.WriteAllBytes(path, compressed.ToArray())
            compressed.ToArray()
        // The gzip header (magic, method, flags, time, extra flags, OS).
        Header = fun _ -> 0, 10 }

/// What a CSV table holds: its shapes and values (fingerprint).
let private csvPrint (x: float[]) (y: float[]) (rows: int) (width: int) =
    let show (v: float[]) = String.Join(";", v |> Array.map (fun d -> d.ToString("R", CultureInfo.InvariantCulture)))
    sprintf "%dx%d|%s|%s" rows width (show x) (show y)

/// The documented CSV contract: lines as File.ReadLines reads them (encoding from a byte-order mark, else UTF-8);
/// the first line is the header; blank lines are skipped; every data row has as many comma-separated cells as the
/// first; every cell is an invariant-culture number that is finite (NaN, infinities and overflow are errors); at least
/// one data row and at least two columns (the last is the target, every other one an input, so a single column leaves no input).
let private csvOracle (bytes: byte[]) : string option =
    use reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks = true)
    let lines = Seq.unfold (fun () -> match reader.ReadLine() with null -> None | l -> Some(l, ())) () |> Array.ofSeq
    let data = lines |> Array.skip (min 1 lines.Length) |> Array.filter (String.IsNullOrWhiteSpace >> not)
               |> Array.map (fun l -> l.Split ',')
    if data.Length = 0 then None
    else
        let width = data[0].Length
        let parse (cell: string) =
            match Double.TryParse(cell.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture) with
            | true, v when Double.IsFinite v -> Some v
            | _ -> None
        if width < 2 || data |> Array.exists (fun r -> r.Length <> width) then None
        else
            let cells = data |> Array.map (Array.map parse)
            if cells |> Array.exists (Array.exists Option.isNone) then None
            else
                let values = cells |> Array.map (Array.map Option.get)
                Some(csvPrint (values |> Array.collect (fun r -> r[.. width - 2])) (values |> Array.map (fun r -> r[width - 1]))
                              data.Length width)

let csv =
    { Name = "csv"
      Create = fun path ->
        let rng = Random 7
        let row () =
            String.Join(",", Array.init 4 (fun _ ->
                (Math.Round(rng.NextDouble() * 200.0 - 100.0, 3)).ToString("R", CultureInfo.InvariantCulture)))
        let text = "x1,x2,x3,y\n" + String.Join("\n", Array.init 15 (fun _ -> row ())) + "\n"
        File.WriteAllText(path, text)
        File.ReadAllBytes path
      // The header line and the first data row (which fixes the width).
      Header = fun bytes ->
        let first = Array.IndexOf(bytes, 10uy)
        0, Array.IndexOf(bytes, 10uy, first + 1)
      HeaderValues = Encoding.ASCII.GetBytes "0123456789,.-+eE \n"
      Read = fun path ->
        use table = CsvTable.Load(path, policy = ComputePolicy.Cpu.Float64())
        let v (t: torch.Tensor) = t.contiguous().data<float>().ToArray()
        csvPrint (v table.Inputs) (v table.Targets) (int table.Count) (int table.Inputs.shape[1] + 1)
      Oracle = csvOracle
      Names = namesFile }

// ---- The regression data layout (RegressionSplits, RegressionDataset): splits file, CSV under a manifest, manifest ----

/// The table the splits and layout seeds describe: 24 rows, inputs x1..x3, target y.
let private layoutRows = 24

/// What a splits object holds (fingerprint): dataset, rows, then each split's test and training rows.
let private splitsPrint (dataset: string option) (rows: int) (splits: (int[] * int[]) list) =
    let show (xs: int[]) = String.Join(" ", xs)
    sprintf "%s|%d|%s" (defaultArg dataset "-") rows (splits |> List.map (fun (t, r) -> show t + "/" + show r) |> String.concat ";")

let private strictUtf8 = UTF8Encoding(false, true)

/// Strict UTF-8 JSON as the readers take it (None when the bytes are not UTF-8 or not JSON).
let private json (bytes: byte[]) =
    try
        strictUtf8.GetCharCount bytes |> ignore
        Some(JsonDocument.Parse(ReadOnlyMemory bytes))
    with
    | :? DecoderFallbackException
    | :? JsonException -> None

/// An object's properties when it is an object whose names are distinct and (when given) all allowed.
let private properties (allowed: string list option) (e: JsonElement) =
    if e.ValueKind <> JsonValueKind.Object then None
    else
        let ps = [ for p in e.EnumerateObject() -> p.Name, p.Value ]
        let names = List.map fst ps
        if List.length (List.distinct names) <> List.length names then None
        elif allowed |> Option.exists (fun a -> names |> List.exists (fun n -> not (List.contains n a))) then None
        else Some(Map.ofList ps)

/// A JSON integer that fits an int32 (the readers' TryGetInt32).
let private int32Of (e: JsonElement) =
    match e.ValueKind with
    | JsonValueKind.Number -> (match e.TryGetInt32() with | true, v -> Some v | _ -> None)
    | _ -> None

/// The splits file contract (RegressionSplits' documentation): strict UTF-8 JSON; an object with only "dataset" (a string,
/// optional), "rows" (= the table's rows) and "splits" (a non-empty list); each split an object with only "test" (required)
/// and "train" (optional), each a non-empty list of distinct int32 indices in [0, rows), no index in both; without "train"
/// the complement of "test", which must not be empty.
let private splitsOracle (rows: int) (bytes: byte[]) : string option =
    match json bytes with
    | None -> None
    | Some doc ->
        use doc = doc
        let indices (e: JsonElement) =
            if e.ValueKind <> JsonValueKind.Array || e.GetArrayLength() = 0 then None
            else
                let xs = [ for x in e.EnumerateArray() -> int32Of x |> Option.filter (fun v -> v >= 0 && v < rows) ]
                if xs |> List.exists Option.isNone then None
                else
                    let xs = List.map Option.get xs |> Array.ofList
                    if Array.length (Array.distinct xs) <> xs.Length then None else Some xs
        let split (e: JsonElement) =
            match properties (Some [ "test"; "train" ]) e with
            | None -> None
            | Some m ->
                match m.TryFind "test" |> Option.bind indices with
                | None -> None
                | Some test ->
                    match m.TryFind "train" with
                    | Some t ->
                        indices t |> Option.filter (fun train -> Set.isEmpty (Set.intersect (set train) (set test)))
                        |> Option.map (fun train -> test, train)
                    | None ->
                        let train = [| 0 .. rows - 1 |] |> Array.filter (fun i -> not (Array.contains i test))
                        if train.Length = 0 then None else Some(test, train)
        match properties (Some [ "dataset"; "rows"; "splits" ]) doc.RootElement with
        | None -> None
        | Some m ->
            let dataset = m.TryFind "dataset"
            if dataset |> Option.exists (fun d -> d.ValueKind <> JsonValueKind.String) then None
            elif m.TryFind "rows" |> Option.bind int32Of <> Some rows then None
            else
                match m.TryFind "splits" with
                | Some s when s.ValueKind = JsonValueKind.Array && s.GetArrayLength() > 0 ->
                    let parsed = [ for e in s.EnumerateArray() -> split e ]
                    if parsed |> List.exists Option.isNone then None
                    else Some(splitsPrint (dataset |> Option.map (fun d -> d.GetString())) rows (List.map Option.get parsed))
                | _ -> None

let private splitsText =
    """{"dataset":"fuzz","rows":24,"splits":[{"test":[3,17,8]},{"test":[0,23,11],"train":[1,2,4,5,6,7,9,10]},{"test":[5,6,7,12]}]}"""

let private readSplits (path: string) =
    let s = RegressionSplits.Load(path, layoutRows)
    splitsPrint (Option.ofObj s.Dataset) s.Rows [ for i in 0 .. s.Count - 1 -> s.Test i, s.Train i ]

let splits =
    { Name = "splits"
      Create = fun path ->
        File.WriteAllText(path, splitsText)
        File.ReadAllBytes path
      // The object's start through "splits":[ (the name and the row count a header edit should hit).
      Header = fun bytes -> 0, Array.IndexOf(bytes, byte '[') + 1
      HeaderValues = jsonChars
      Read = readSplits
      Oracle = splitsOracle layoutRows
      Names = namesFile }

/// The layout's CSV: header x1,x2,x3,y and 24 rows of numbers.
let private layoutCsv () =
    let rng = Random 11
    let row () =
        String.Join(",", Array.init 4 (fun _ -> Math.Round(rng.NextDouble() * 50.0 - 10.0, 2).ToString("R", CultureInfo.InvariantCulture)))
    "x1,x2,x3,y\n" + String.Join("\n", Array.init layoutRows (fun _ -> row ())) + "\n"

let private sha (bytes: byte[]) = Convert.ToHexString(Security.Cryptography.SHA256.HashData bytes).ToLowerInvariant()

/// A manifest recording the CSV's SHA-256 and the counts for the data set `name`, with the descriptive fields of data/uci's.
let private manifestText (name: string) (csv: byte[]) =
    let entry =
        sprintf """{"title":"Fuzz","citation":"none","target":"y","rows":%d,"features":3,"splits":3,"csv_sha256":"%s"}"""
            layoutRows (sha csv)
    sprintf """{"source":"fuzz","datasets":{"%s":%s,"other":{"rows":1}}}""" name entry

/// What a loaded data set holds (fingerprint): name, sizes, columns, targets and the splits.
let private datasetPrint (d: RegressionDataset) =
    let targets = String.Join(";", [| for i in 0 .. d.Count - 1 -> d.Target(i).ToString("R", CultureInfo.InvariantCulture) |])
    sprintf "%d|%d|%s|%s|%s|%d" d.Count d.Features (String.Join(",", d.FeatureNames)) d.TargetName targets d.Splits.Count

/// The layout with its CSV under fuzz: the manifest records the CSV's SHA-256, so every mutated CSV must be refused
/// (naming the CSV), never read as other data.
let uciCsv =
    let original = ref [||]
    let beside (path: string) (file: string) = Path.Combine(Path.GetDirectoryName path, file)
    { Name = "uci-csv"
      Create = fun path ->
        File.WriteAllText(path, layoutCsv ())
        original.Value <- File.ReadAllBytes path
        // The cases are written to case-uci-csv: the data set's name in the manifest.
        File.WriteAllText(beside path "uci-csv.MANIFEST.json", manifestText "case-uci-csv" original.Value)
        File.WriteAllText(beside path "uci-csv.splits.json", splitsText)
        original.Value
      Header = fun bytes ->
        let first = Array.IndexOf(bytes, 10uy)
        0, Array.IndexOf(bytes, 10uy, first + 1)
      HeaderValues = Encoding.ASCII.GetBytes "0123456789,.-+eE \nxy"
      Read = fun path ->
        RegressionDataset.Load(path, beside path "uci-csv.splits.json", manifestPath = beside path "uci-csv.MANIFEST.json") |> ignore
        "unchanged"
      Oracle = sealedOracle original
      Names = namesFile }

/// The manifest contract (RegressionDataset's documentation) for data set "m" of the fuzz layout: strict UTF-8 JSON; an
/// object (distinct names) with a "datasets" object (distinct names) holding an object "m" (distinct names) in which
/// "csv_sha256" and "splits_sha256", when present, are 64 hexadecimal digits equal (in any case) to the files' SHA-256, and
/// "rows", "features", "splits", when present, are int32 values equal to 24, 3 and 3. Everything else is descriptive.
let private manifestOracle (csv: byte[]) (splitsFile: byte[]) (expected: string) (bytes: byte[]) : string option =
    match json bytes with
    | None -> None
    | Some doc ->
        use doc = doc
        let entry =
            properties None doc.RootElement
            |> Option.bind (fun m -> m.TryFind "datasets")
            |> Option.bind (properties None)
            |> Option.bind (fun m -> m.TryFind "m")
            |> Option.bind (properties None)
        match entry with
        | None -> None
        | Some m ->
            let shaOk key (file: byte[]) =
                match m.TryFind key with
                | None -> true
                | Some v -> v.ValueKind = JsonValueKind.String && String.Equals(v.GetString(), sha file, StringComparison.OrdinalIgnoreCase)
            let countOk key (value: int) =
                match m.TryFind key with
                | None -> true
                | Some v -> int32Of v = Some value
            if shaOk "csv_sha256" csv && shaOk "splits_sha256" splitsFile && countOk "rows" layoutRows && countOk "features" 3
               && countOk "splits" 3
            then Some expected
            else None

/// The layout with its manifest under fuzz: a mutation that keeps the manifest valid and consistent with the files reads
/// the same data; any other is refused, naming the manifest (or the file the manifest no longer matches).
let uciManifest =
    let files = ref ([||], [||], "")
    let beside (path: string) (file: string) = Path.Combine(Path.GetDirectoryName path, file)
    let load (path: string) = RegressionDataset.Load(beside path "m.csv", beside path "m.splits.json", manifestPath = path)
    { Name = "uci-manifest"
      Create = fun path ->
        File.WriteAllText(beside path "m.csv", layoutCsv ())
        File.WriteAllText(beside path "m.splits.json", splitsText)
        let csv, splitsFile = File.ReadAllBytes(beside path "m.csv"), File.ReadAllBytes(beside path "m.splits.json")
        let text = (manifestText "m" csv).Replace("\"csv_sha256\"", sprintf "\"splits_sha256\":\"%s\",\"csv_sha256\"" (sha splitsFile))
        File.WriteAllText(path, text)
        files.Value <- (csv, splitsFile, datasetPrint (load path))
        File.ReadAllBytes path
      Header = fun bytes -> 0, bytes.Length
      HeaderValues = jsonChars
      Read = fun path -> datasetPrint (load path)
      Oracle = fun bytes -> let csv, splitsFile, expected = files.Value in manifestOracle csv splitsFile expected bytes
      // A checksum the manifest records that no longer matches names the data file and, as the record, the manifest.
      Names = fun e path -> e.Path = path || e.Expected.Contains path }

let all =
    [ model; ensembleModel; vaeModel; standardizedModel; laplaceModel; swagModel; sgmcmcModel; trainerCheckpoint; vaeCheckpoint; idx
      idxGzip; csv; splits; uciCsv; uciManifest ]
