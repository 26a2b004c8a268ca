using System.IO.Compression;
using LstmStreams.Core.Import;

namespace LstmStreams.Core.Tests.Import;

/// <summary>Damaged pickles inside well-formed archives: each one loads or is refused, never anything else.</summary>
public sealed class TorchSaveFuzzTests : IDisposable
{
    private readonly TorchSaveBytes _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Load_of_a_pickle_with_random_damage_gives_a_model_or_a_ModelFormatException()
    {
        var entries = new List<(string Name, byte[] Bytes)>();
        using (var zip = ZipFile.OpenRead(Path.Combine(TorchSaveBytes.Fixtures, "pt_gru_2l_head.pt")))
        {
            foreach (var entry in zip.Entries)
            {
                using var stream = entry.Open();
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                entries.Add((entry.FullName, copy.ToArray()));
            }
        }

        int pickleIndex = entries.FindIndex(e => e.Name.EndsWith("/data.pkl", StringComparison.Ordinal));
        var pickle = entries[pickleIndex].Bytes;
        var random = new Random(1234);
        int refused = 0;
        for (int trial = 0; trial < 400; trial++)
        {
            var damaged = (byte[])pickle.Clone();
            if (trial % 4 == 0)
            {
                damaged = damaged[..random.Next(damaged.Length)];
            }
            else
            {
                for (int k = random.Next(1, 4); k > 0; k--) damaged[random.Next(damaged.Length)] = (byte)random.Next(256);
            }

            var files = entries.ToList();
            files[pickleIndex] = (files[pickleIndex].Name, damaged);
            string path = _files.Zip(files);
            try
            {
                ModelLoader.Load(path);
            }
            catch (ModelFormatException)
            {
                refused++;
            }

            File.Delete(path);
        }

        Assert.True(refused > 200, $"only {refused} of 400 damaged pickles were refused");
    }

    [Fact]
    public void Load_of_an_archive_with_random_damage_anywhere_gives_a_model_or_a_ModelFormatException()
    {
        var original = File.ReadAllBytes(Path.Combine(TorchSaveBytes.Fixtures, "pt_lstm_views.pt"));
        var random = new Random(4321);
        for (int trial = 0; trial < 400; trial++)
        {
            var damaged = (byte[])original.Clone();
            for (int k = random.Next(1, 6); k > 0; k--) damaged[random.Next(damaged.Length)] = (byte)random.Next(256);
            string path = _files.Write(damaged);
            try
            {
                ModelLoader.Load(path);
            }
            catch (ModelFormatException)
            {
            }

            File.Delete(path);
        }
    }
}
