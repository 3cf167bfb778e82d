using System.Text;
using Microsoft.Extensions.AI;

namespace Judge.Providers.Llama;

// Prompts as the model reads them: the chat template (or plain paragraphs) and its tokens.
internal sealed partial class LlamaChatClient
{
    /// <summary>Renders messages with the chat template, or as plain paragraphs when there is none.</summary>
    internal string Format(IReadOnlyList<ChatMessage> messages, bool addAssistant)
    {
        if (_template is not null)
        {
            var rendered = _model.ApplyTemplate(_template, messages.Select(m => (m.Role.Value, m.Text)).ToList(), addAssistant);
            if (rendered is not null)
            {
                return rendered;
            }
        }

        var sb = new StringBuilder();
        foreach (var m in messages)
        {
            sb.Append(m.Text.Trim()).Append("\n\n");
        }

        return sb.ToString();
    }

    private static string? ResolveTemplate(LlamaModel model, string? requested)
    {
        if (string.Equals(requested, "none", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var probe = new List<(string, string)> { ("user", "x") };
        if (requested is not null)
        {
            return model.ApplyTemplate(requested, probe, true) is not null
                ? requested
                : throw new InputException(null, null, "judge spec", $"llama.cpp has no built-in chat template '{requested}' (it applies only its built-in templates; use template=none for plain text)");
        }

        // The model's own template, if llama.cpp recognises it; it cannot run arbitrary Jinja.
        return model.ChatTemplate is { } own && model.ApplyTemplate(own, probe, true) is not null ? own : null;
    }

    private int[] TokenizePrompt(string text) => _model.Tokenize(text, addSpecial: true, parseSpecial: _template is not null);
}
