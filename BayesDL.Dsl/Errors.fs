namespace BayesDL.Dsl

open BayesDL.Builders

/// A mistake in a model declaration, found before any training, or a saved model that cannot be loaded. Each case carries the layer it
/// concerns (its description, e.g. "Linear(784 -> 400)", or "model") and a message naming the shapes and a fix.
type BayesError =
    | ShapeMismatch of layer: string * message: string
    | LikelihoodMismatch of layer: string * message: string
    | UnregisteredKL of layer: string * message: string
    | UnsupportedFamily of layer: string * message: string
    | InvalidParameter of layer: string * message: string
    | Incomplete of message: string
    /// A saved model that cannot be read: a missing or unreadable file, not a BayesDL model file, or a format
    /// version this BayesDL does not read (the message names the file and the reason).
    | ModelFileError of path: string * message: string
    /// Training stopped because the loss became NaN or infinite (the message names the step, the epoch and the fixes).
    | TrainingDiverged of message: string
    /// A checkpoint that cannot be resumed: truncated or corrupt, of another format version, or written for another
    /// architecture or other settings (the message names the file and what differs).
    | CheckpointError of path: string * message: string
    /// Several independent mistakes at once.
    | Several of BayesError list

    /// The human-readable message (one line per mistake).
    member this.Message =
        match this with
        | ShapeMismatch(_, m) | LikelihoodMismatch(_, m) | UnregisteredKL(_, m)
        | UnsupportedFamily(_, m) | InvalidParameter(_, m) | Incomplete m | ModelFileError(_, m)
        | TrainingDiverged m | CheckpointError(_, m) -> m
        | Several errors -> errors |> List.map (fun e -> e.Message) |> String.concat "\n"

    override this.ToString() = this.Message

/// Conversion from the core builder's reports (the one place where declarations are checked).
module BayesError =
    /// One core report as a BayesError.
    let ofBuildError (e: BuildError) =
        match e.Kind with
        | BuildErrorKind.ShapeMismatch -> ShapeMismatch(e.Layer, e.Message)
        | BuildErrorKind.LikelihoodMismatch -> LikelihoodMismatch(e.Layer, e.Message)
        | BuildErrorKind.UnregisteredKL -> UnregisteredKL(e.Layer, e.Message)
        | BuildErrorKind.UnsupportedFamily -> UnsupportedFamily(e.Layer, e.Message)
        | BuildErrorKind.InvalidParameter -> InvalidParameter(e.Layer, e.Message)
        | _ -> Incomplete e.Message

    /// Ok () when the core found nothing, else the mistake (or Several).
    let ofReport (errors: BuildError seq) : Result<unit, BayesError> =
        match errors |> Seq.map ofBuildError |> List.ofSeq with
        | [] -> Ok()
        | [ e ] -> Error e
        | many -> Error(Several many)

    /// Runs a call into the core's model file (`ModelFile`): its one file error (missing, unwritable, not a model,
    /// corrupt, of another kind or a newer version) as ModelFileError naming `path`, a model the file cannot describe
    /// (the core's ArgumentException, for example a VAE with a custom prior) as InvalidParameter.
    let ofModelFile (path: string) (call: unit -> 'T) : Result<'T, BayesError> =
        try Ok(call ()) with
        | :? BayesDL.Validation.FileFormatException as e -> Error(ModelFileError(path, e.Message))
        | :? System.ArgumentException as e -> Error(InvalidParameter("model", e.Message))

    /// Runs a call into the core, returning its expected failures as errors instead of exceptions: a loss that became NaN
    /// or infinite (TrainingDiverged), a checkpoint that cannot be resumed (CheckpointError, naming the file), the core's
    /// BuildException (its mistakes) and any other bad argument the core's checks refuse, such as data of the wrong shape
    /// (InvalidParameter of `context`, e.g. "mcmc" or "model 'eight_schools'", with the core's message naming the
    /// parameter, the value and a fix).
    let ofCoreIn (context: string) (call: unit -> 'T) : Result<'T, BayesError> =
        try Ok(call ()) with
        | :? BayesDL.Training.TrainingDivergedException as e -> Error(TrainingDiverged e.Message)
        | :? BayesDL.Validation.FileFormatException as e -> Error(CheckpointError(e.Path, e.Message))
        | :? BuildException as e ->
            match ofReport e.Errors with
            | Error error -> Error error
            | Ok() -> Error(Incomplete e.Message)
        | :? System.ArgumentException as e -> Error(InvalidParameter(context, e.Message))

    /// `ofCoreIn "fit"`: a build or a fit.
    let ofCore (call: unit -> 'T) : Result<'T, BayesError> = ofCoreIn "fit" call
