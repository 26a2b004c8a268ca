namespace LstmStreams.Tests.Persistence;

/// <summary>Where the PostgreSQL fixture finds its server, and how it fails when there is none.</summary>
public sealed class PostgresServerTests
{
    [Fact]
    public void Missing_postgresql_binaries_fail_the_tests_with_the_package_to_install()
    {
        var e = Assert.Throws<InvalidOperationException>(() => PostgresServer.FindBinaries(Path.Combine(Path.GetTempPath(), "no-postgresql-" + Guid.NewGuid().ToString("N"))));
        Assert.Contains("apt-get install postgresql", e.Message);
    }

    [Fact]
    public void The_postgresql_binaries_of_this_machine_are_found_under_usr_lib_postgresql()
    {
        string bin = PostgresServer.FindBinaries();
        Assert.Matches(@"^/usr/lib/postgresql/\d+/bin$", bin);
        Assert.True(File.Exists(Path.Combine(bin, "initdb")));
    }
}
