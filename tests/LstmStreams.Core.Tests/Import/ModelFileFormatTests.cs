using System.Text;
using LstmStreams.Core.Import;

namespace LstmStreams.Core.Tests.Import;

public sealed class ModelFileFormatTests : IDisposable
{
    private readonly TorchSaveBytes _files = new();

    public void Dispose() => _files.Dispose();

    [Theory]
    [InlineData("seq,t,x0\nsensor/1,0,1.5\n")]
    [InlineData("\u0008\u0007\u0012\u0008pytorch onnx graph")]
    public void Load_refuses_a_file_of_another_format_listing_the_accepted_ones(string text)
    {
        string path = _files.Write(Encoding.UTF8.GetBytes(text), ".bin");
        string message = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(path)).Message;
        Assert.Contains(path, message);
        Assert.Contains("accepted formats are torch.save files (torch.save(model.state_dict(), \"model.pt\"), a zip archive) and safetensors", message);
        Assert.DoesNotContain("runs past the end", message);
    }

    [Fact]
    public void Load_says_a_file_may_be_ONNX_when_it_starts_like_one()
    {
        string path = _files.Write([0x08, 0x07, 0x12, 0x07, (byte)'p', (byte)'y', (byte)'t', (byte)'o', (byte)'r', (byte)'c', (byte)'h'], ".onnx");
        Assert.Contains("may be ONNX", Assert.Throws<ModelFormatException>(() => ModelLoader.Load(path)).Message);
    }

    [Fact]
    public void Load_refuses_a_plain_pickle()
    {
        string path = _files.Write([0x80, 4, 0x95, 0, 0, 0, 0, 0, 0, 0, 0, (byte)'N', (byte)'.']);
        Assert.Contains("plain Python pickle", Assert.Throws<ModelFormatException>(() => ModelLoader.Load(path)).Message);
    }

    [Fact]
    public void Load_names_a_missing_file()
    {
        string message = Assert.Throws<ModelFormatException>(() => ModelLoader.Load("/nonexistent/m.pt")).Message;
        Assert.Contains("no such", message);
    }
}
