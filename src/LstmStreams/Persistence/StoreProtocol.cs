using Akka.Persistence;

namespace LstmStreams.Persistence;

/// <summary>Keeper → <see cref="BatchingSqlSnapshotStore"/>: the latest snapshot of each of these persistence
/// ids, in one query (answered with <see cref="LatestSnapshotsLoaded"/>, or <c>Status.Failure</c> when the
/// store cannot be reached).</summary>
/// <param name="PersistenceIds">At most <see cref="BatchingSqlSnapshotStore.MaxBatch"/> ids.</param>
internal sealed record LoadLatestSnapshots(IReadOnlyList<string> PersistenceIds);

/// <summary>Store → keeper: one result per id of <see cref="LoadLatestSnapshots"/>, in its order.</summary>
internal sealed record LatestSnapshotsLoaded(IReadOnlyList<StoredSnapshot> Results);

/// <summary>One id's latest snapshot: none stored (both null), the snapshot, or why its row cannot be read.</summary>
internal readonly record struct StoredSnapshot(SelectedSnapshot? Selected, Exception? Unreadable);

/// <summary>Keeper → <see cref="BatchingSqlSnapshotStore"/>: add every persistence id stored under
/// <paramref name="Prefix"/> to <paramref name="Into"/> (answered with <see cref="StoredIdsScanned"/>, or
/// <c>Status.Failure</c>).</summary>
internal sealed record ScanStoredIds(string Prefix, StoredIds Into);

/// <summary>Store → keeper: the scan is complete.</summary>
/// <param name="Count">Ids read.</param>
internal sealed record StoredIdsScanned(int Count);
