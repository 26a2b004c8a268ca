using System.Collections;
using System.Numerics;
using Razorvine.Pickle;

namespace LstmStreams.Core.Import;

/// <summary>
/// Razorvine's unpickler taught the few classes a state_dict pickle uses: <c>collections.OrderedDict</c>,
/// <c>torch._utils._rebuild_tensor_v2</c>, <c>torch._utils._rebuild_parameter</c>, the float storage classes
/// and persistent ids of storages. It runs only after <see cref="TorchPickleAllowlist"/> has refused any pickle
/// naming another global, so nothing else can be constructed. Tensors come out as <see cref="TorchTensorView"/>;
/// no storage bytes are read here.
/// </summary>
internal sealed class TorchUnpickler : Unpickler
{
    static TorchUnpickler()
    {
        // Razorvine keeps constructors in one process-wide table; these names belong to torch and collections only.
        registerConstructor("collections", "OrderedDict", new OrderedDictConstructor());
        registerConstructor("torch._utils", "_rebuild_tensor_v2", new RebuildTensor());
        registerConstructor("torch._utils", "_rebuild_parameter", new RebuildParameter());
        foreach (var (name, dtype) in TorchPickleAllowlist.FloatStorages)
            registerConstructor("torch", name, new StorageType(name, dtype));
    }

    /// <summary>Unpickles <paramref name="pickle"/>, whose globals have been checked.</summary>
    /// <exception cref="PickleException">The pickle is not the shape a state_dict pickle has.</exception>
    public object? Load(byte[] pickle) => loads(pickle);

    /// <summary>Resolves ('storage', torch.FloatStorage, key, location, numel) to a <see cref="TorchStorageRef"/>.</summary>
    protected override object persistentLoad(object pid)
    {
        if (pid is not object[] { Length: 5 } id || id[0] is not "storage" || id[1] is not StorageType type || id[2] is not string key)
            throw new PickleException("a persistent id is not ('storage', type, key, location, numel)");
        long numel = ToLong(id[4], "storage numel");
        if (numel < 0) throw new PickleException($"storage '{key}' declares {numel} elements");
        return new TorchStorageRef(key, type.DType, numel);
    }

    /// <summary>A pickled integer (int, long or big) as a long.</summary>
    internal static long ToLong(object? value, string what) => value switch
    {
        int i => i,
        long l => l,
        BigInteger b when b >= long.MinValue && b <= long.MaxValue => (long)b,
        _ => throw new PickleException($"{what} is {value ?? "None"}, not an integer"),
    };

    private static long[] ToLongs(object? value, string what) =>
        value is object[] items ? items.Select(v => ToLong(v, what)).ToArray() : throw new PickleException($"{what} is not a tuple");

    /// <summary>The dict OrderedDict() makes; BUILD sets its attributes (state_dict's _metadata), which are not needed.</summary>
    private sealed class PickledOrderedDict : Hashtable
    {
        // Called by Razorvine's BUILD opcode through reflection.
#pragma warning disable IDE1006, CA1707
        public void __setstate__(Hashtable state) => _ = state;
#pragma warning restore IDE1006, CA1707
    }

    private sealed class OrderedDictConstructor : IObjectConstructor
    {
        public object construct(object[] args) => args.Length == 0
            ? new PickledOrderedDict()
            : throw new PickleException("collections.OrderedDict was called with arguments");
    }

    /// <summary>_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]).</summary>
    private sealed class RebuildTensor : IObjectConstructor
    {
        public object construct(object[] args)
        {
            if (args.Length < 4 || args[0] is not TorchStorageRef storage)
                throw new PickleException("_rebuild_tensor_v2 was not given (storage, offset, size, stride, …)");
            var size = ToLongs(args[2], "a tensor size");
            var stride = ToLongs(args[3], "a tensor stride");
            if (size.Length != stride.Length)
                throw new PickleException($"a tensor has {size.Length} sizes but {stride.Length} strides");
            return new TorchTensorView(storage, ToLong(args[1], "a storage offset"), size, stride);
        }
    }

    /// <summary>_rebuild_parameter(data, requires_grad, backward_hooks): an nn.Parameter is its data.</summary>
    private sealed class RebuildParameter : IObjectConstructor
    {
        public object construct(object[] args) => args.Length >= 1 && args[0] is TorchTensorView tensor
            ? tensor
            : throw new PickleException("_rebuild_parameter was not given a tensor");
    }

    /// <summary>A storage class such as torch.FloatStorage: only ever named inside a persistent id, never called.</summary>
    private sealed class StorageType(string name, SafetensorsDType dtype) : IObjectConstructor
    {
        public SafetensorsDType DType { get; } = dtype;

        public object construct(object[] args) => throw new PickleException($"torch.{name} was called; a state_dict pickle only names it");
    }
}
