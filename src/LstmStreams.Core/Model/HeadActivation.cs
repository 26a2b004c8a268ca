namespace LstmStreams.Core.Model;

/// <summary>The function applied after one Linear of the output head.</summary>
public enum HeadActivation
{
    /// <summary>y = W h + b.</summary>
    Identity,

    /// <summary>y = σ(W h + b), elementwise.</summary>
    Sigmoid,

    /// <summary>y = tanh(W h + b), elementwise.</summary>
    Tanh,

    /// <summary>y = softmax(W h + b) over the layer's outputs.</summary>
    Softmax,

    /// <summary>y = max(0, W h + b), elementwise (nn.ReLU).</summary>
    Relu,

    /// <summary>y = x·Φ(x) with x = W h + b, the exact erf form (nn.GELU(approximate='none'), PyTorch's default).</summary>
    Gelu,
}

/// <summary>Parsing and naming of <see cref="HeadActivation"/> as it appears in model metadata.</summary>
public static class HeadActivations
{
    /// <summary>The accepted names, for messages.</summary>
    public const string Names = "identity, sigmoid, tanh or softmax, relu or gelu";

    /// <summary>The metadata name: identity, sigmoid, tanh, softmax, relu or gelu.</summary>
    public static string ToName(this HeadActivation activation) => activation switch
    {
        HeadActivation.Identity => "identity",
        HeadActivation.Sigmoid => "sigmoid",
        HeadActivation.Tanh => "tanh",
        HeadActivation.Softmax => "softmax",
        HeadActivation.Relu => "relu",
        HeadActivation.Gelu => "gelu",
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
            case "relu":
                activation = HeadActivation.Relu;
                return true;
            case "gelu":
                activation = HeadActivation.Gelu;
                return true;
            default:
                activation = HeadActivation.Identity;
                return false;
        }
    }
}
