namespace LstmStreams.Cluster;

/// <summary>Who a node is and whom it joins.</summary>
public sealed record ClusterNodeOptions
{
    /// <summary>The address other nodes reach this one at.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The TCP port of this node (0: any free port, for tests).</summary>
    public required int Port { get; init; }

    /// <summary>Seed nodes as <c>HOST:PORT</c> (this node's own address among them makes it able to start a cluster
    /// alone, as Akka.Cluster does); empty: this node is its own seed.</summary>
    public IReadOnlyList<string> Seeds { get; init; } = [];

    /// <summary>The node waits for this many members before it is up (and an ingesting node starts reading).</summary>
    public int MinMembers { get; init; } = 1;

    /// <summary>SHA-256 of the model file (hex): nodes with different models refuse to work together.</summary>
    public required string ModelHash { get; init; }

    /// <summary>What the store is, without secrets (e.g. <c>postgres 127.0.0.1:5432/lstm</c>): nodes on different
    /// stores refuse to work together. Null for a store that cannot be shared (refused beside any other member).</summary>
    public required string? SharedStore { get; init; }

    /// <summary>How errors name this node's model (its file).</summary>
    public string ModelName { get; init; } = "the model";
}
