namespace Judge.Providers.Llama;

// Grammars: a GBNF file checked once when the client is made, and the sampler that holds generation to a grammar.
internal sealed partial class LlamaChatClient
{
    /// <summary>Reads a grammar file and has llama.cpp parse it once, so a bad grammar is an input error now rather than a failure per call.</summary>
    private static string LoadGrammar(LlamaModel model, string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InputException(path, null, null, $"cannot read the grammar file: {ex.Message}", ex);
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            throw new InputException(path, null, null, "the grammar file is empty");
        }

        LlamaNativeLibrary.ClearLog();
        using var probe = GrammarSampler.TryCreate(model, text, topK: 0);
        if (probe is null)
        {
            var why = LlamaNativeLibrary.RecentErrors();
            throw new InputException(path, null, null, $"llama.cpp rejected the GBNF grammar (start symbol 'root'){(why.Length > 0 ? $": {why}" : string.Empty)}; the parser's own message is on stderr");
        }

        return text;
    }

    private GrammarSampler CreateSampler(string grammar, string? source)
    {
        LlamaNativeLibrary.ClearLog();
        return GrammarSampler.TryCreate(_model, grammar, _options.GrammarTopK)
            ?? throw new JudgeException($"llama.cpp rejected the grammar made from {source}{(LlamaNativeLibrary.RecentErrors() is { Length: > 0 } why ? $": {why}" : string.Empty)}");
    }
}
