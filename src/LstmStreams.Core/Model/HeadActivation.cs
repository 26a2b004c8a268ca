namespace LstmStreams.Core.Model;

/// <summary>The function applied to the output head's Linear result.</summary>
public enum HeadActivation
{
    /// <summary>y = W h + b.</summary>
    Identity,

    /// <summary>y = σ(W h + b), elementwise.</summary>
    Sigmoid,

    /// <summary>y = tanh(W h + b), elementwise.</summary>
    Tanh,

    /// <summary>y = softmax(W h + b) over the O outputs.</summary>
    Softmax,
}

/// <summary>Parsing and naming of <see cref="HeadActivation"/> as it appears in safetensors metadata.</summary>
public static class HeadActivations
{
    /// <summary>The metadata name: identity, sigmoid, tanh or softmax.</summary>
    public static string ToName(this HeadActivation activation) => activation switch
    {
        HeadActivation.Identity => "identity",
        HeadActivation.Sigmoid => "sigmoid",
        HeadActivation.Tanh => "tanh",
        HeadActivation.Softmax => "softmax",
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "unknown head activation"),
    };

    /// <summary>Parses a metadata name (case-insensitive; "linear" and "none" mean identity).</summary>
    public static bool TryParse(string? name, out HeadActivation activation)
    {
        switch (name?.Trim().ToLowerInvariant() ?? "")
        {
            case "identity" or "linear" or "none" or "":
                activation = HeadActivation.Identity;
                return true;
            case "sigmoid":
                activation = HeadActivation.Sigmoid;
                return true;
            case "tanh":
                activation = HeadActivation.Tanh;
                return true;
            case "softmax":
                activation = HeadActivation.Softmax;
                return true;
            default:
                activation = HeadActivation.Identity;
                return false;
        }
    }
}
