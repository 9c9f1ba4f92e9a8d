#!/usr/bin/env python3
"""Generates the tiny causal language models under test/models/ and their expected logits.

Each model is a randomly initialised (fixed seed) GPT-2- or Llama-shaped decoder written here in
plain torch, exported to ONNX with the inputs transformers.js feeds (input_ids, attention_mask,
position_ids and, for the cached variants, past_key_values.{i}.key/value -> present.{i}.key/value),
plus a word-level WordPiece tokenizer.json whose vocabulary covers the most frequent SST-2 words
(with single characters as a fallback, so every word can be encoded).

expected.json holds label-token logits computed by the eager torch module on token ids produced by
the small tokenizer implementation below, both independent of transformers.js and onnxruntime.

Usage: /usr/bin/python3 scripts/make_test_models.py [--data ../shared/data]
Requires numpy, torch and onnx (Debian: python3-torch python3-onnx).
"""
import argparse
import collections
import json
import math
import os
import string
import unicodedata

import torch
import torch.nn as nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'test', 'models')

SPECIALS = ['[PAD]', '[UNK]', '<s>', '</s>']
N_WORDS = 500

SST2_INSTRUCTION = ('Classify the sentiment of the following sentence as "positive" or "negative". '
                    'Respond with "positive" or "negative".\n')
# Words of every dataset's instruction, template and class names, so that prompts encode cleanly.
TEMPLATE_TEXT = (
    SST2_INSTRUCTION
    + 'To which category does the following news article belong: "world", "sports", "business", or "science and technology"?\n'
    + 'Classify the sentiment of the following sentence as "negative", "neutral" or "positive". Respond with "negative", "neutral" or "positive".\n'
    + 'Does the sentence contain hate speech? Respond with "yes" or "no".\n'
    + 'Is the following sentence `objective` or `subjective`. Respond with `objective` or `subjective`.\n'
    + "Sentence: Label: Answer: objective subjective"
)


def is_punctuation(ch):
    code = ord(ch)
    if 0x21 <= code <= 0x2F or 0x3A <= code <= 0x40 or 0x5B <= code <= 0x60 or 0x7B <= code <= 0x7E:
        return True
    return unicodedata.category(ch).startswith('P')


def pre_tokenize(text):
    """Lowercase, then BERT pre-tokenization: split on whitespace, every punctuation mark alone."""
    words, current = [], ''
    for ch in text.lower():
        if ch.isspace() or is_punctuation(ch):
            if current:
                words.append(current)
                current = ''
            if is_punctuation(ch):
                words.append(ch)
        else:
            current += ch
    if current:
        words.append(current)
    return words


def wordpiece(word, vocab):
    pieces, start = [], 0
    while start < len(word):
        end = len(word)
        found = None
        while start < end:
            piece = word[start:end] if start == 0 else '##' + word[start:end]
            if piece in vocab:
                found = piece
                break
            end -= 1
        if found is None:
            return ['[UNK]']
        pieces.append(found)
        start = end
    return pieces


def encode(text, vocab, add_bos):
    ids = [vocab['<s>']] if add_bos else []
    for word in pre_tokenize(text):
        ids.extend(vocab[p] for p in wordpiece(word, vocab))
    return ids


def build_vocab(data_dir):
    counts = collections.Counter()
    path = os.path.join(data_dir, 'sst2', 'train.tsv')
    with open(path, encoding='utf-8') as f:
        next(f)
        for line in f:
            counts.update(pre_tokenize(line.split('\t')[0]))
    alphabet = string.ascii_lowercase + string.digits
    base = SPECIALS + [c for c in string.punctuation] + list(alphabet) + ['##' + c for c in alphabet]
    required = [w for w in pre_tokenize(TEMPLATE_TEXT) if w not in base]
    words = [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if len(w) > 1]
    tokens = list(dict.fromkeys(base + required))
    for w in words:
        if len(tokens) >= len(base) + N_WORDS:
            break
        if w not in tokens:
            tokens.append(w)
    return {t: i for i, t in enumerate(tokens)}


def tokenizer_json(vocab, add_bos):
    post = None
    if add_bos:
        post = {
            'type': 'TemplateProcessing',
            'single': [{'SpecialToken': {'id': '<s>', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}}],
            'pair': [{'SpecialToken': {'id': '<s>', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}},
                     {'Sequence': {'id': 'B', 'type_id': 1}}],
            'special_tokens': {'<s>': {'id': '<s>', 'ids': [vocab['<s>']], 'tokens': ['<s>']}},
        }
    return {
        'version': '1.0',
        'truncation': None,
        'padding': None,
        'added_tokens': [
            {'id': vocab[t], 'content': t, 'single_word': False, 'lstrip': False, 'rstrip': False,
             'normalized': False, 'special': True} for t in SPECIALS
        ],
        'normalizer': {'type': 'Lowercase'},
        'pre_tokenizer': {'type': 'BertPreTokenizer'},
        'post_processor': post,
        'decoder': {'type': 'WordPiece', 'prefix': '##', 'cleanup': True},
        'model': {'type': 'WordPiece', 'unk_token': '[UNK]', 'continuing_subword_prefix': '##',
                  'max_input_chars_per_word': 100, 'vocab': vocab},
    }


def causal_padding_mask(attention_mask, query_len):
    """Boolean [B, 1, T, P+T]: query i (absolute position P+i) may see key j if j <= P+i and j is not padding."""
    total = attention_mask.shape[1]
    past = total - query_len
    key_pos = torch.arange(total).unsqueeze(0)
    query_pos = (torch.arange(query_len) + past).unsqueeze(1)
    causal = key_pos <= query_pos
    return causal.unsqueeze(0).unsqueeze(0) & (attention_mask[:, None, None, :] > 0)


def attend(q, k, v, allowed):
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    scores = scores.masked_fill(~allowed, torch.finfo(scores.dtype).min)
    return torch.matmul(torch.softmax(scores, dim=-1), v)


class GPT2Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(d, eps=1e-5)
        self.c_attn = nn.Linear(d, 3 * d)
        self.c_proj = nn.Linear(d, d)
        self.ln_2 = nn.LayerNorm(d, eps=1e-5)
        self.fc = nn.Linear(d, 4 * d)
        self.proj = nn.Linear(4 * d, d)

    def split(self, x):
        b, t, d = x.shape
        return x.view(b, t, self.heads, d // self.heads).transpose(1, 2)

    def forward(self, x, allowed, past_k, past_v):
        q, k, v = self.c_attn(self.ln_1(x)).split(x.shape[-1], dim=-1)
        q, k, v = self.split(q), self.split(k), self.split(v)
        k = torch.cat([past_k, k], dim=2)
        v = torch.cat([past_v, v], dim=2)
        a = attend(q, k, v, allowed).transpose(1, 2).reshape(x.shape)
        x = x + self.c_proj(a)
        h = self.proj(nn.functional.gelu(self.fc(self.ln_2(x)), approximate='tanh'))
        return x + h, k, v


class TinyGPT2(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg['n_embd']
        self.cfg = cfg
        self.wte = nn.Embedding(cfg['vocab_size'], d)
        self.wpe = nn.Embedding(cfg['n_positions'], d)
        self.blocks = nn.ModuleList([GPT2Block(d, cfg['n_head']) for _ in range(cfg['n_layer'])])
        self.ln_f = nn.LayerNorm(d, eps=1e-5)

    def forward(self, input_ids, attention_mask, position_ids, past):
        x = self.wte(input_ids) + self.wpe(position_ids)
        allowed = causal_padding_mask(attention_mask, input_ids.shape[1])
        presents = []
        for i, block in enumerate(self.blocks):
            x, k, v = block(x, allowed, past[2 * i], past[2 * i + 1])
            presents += [k, v]
        logits = torch.matmul(self.ln_f(x), self.wte.weight.t())
        return logits, presents

    def kv_shape(self):
        c = self.cfg
        return c['n_layer'], c['n_head'], c['n_embd'] // c['n_head']


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


class LlamaBlock(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, h, kvh = cfg['hidden_size'], cfg['num_attention_heads'], cfg['num_key_value_heads']
        self.h, self.kvh, self.hd = h, kvh, d // h
        self.input_layernorm = RMSNorm(d, cfg['rms_norm_eps'])
        self.q_proj = nn.Linear(d, h * self.hd, bias=False)
        self.k_proj = nn.Linear(d, kvh * self.hd, bias=False)
        self.v_proj = nn.Linear(d, kvh * self.hd, bias=False)
        self.o_proj = nn.Linear(h * self.hd, d, bias=False)
        self.post_attention_layernorm = RMSNorm(d, cfg['rms_norm_eps'])
        self.gate_proj = nn.Linear(d, cfg['intermediate_size'], bias=False)
        self.up_proj = nn.Linear(d, cfg['intermediate_size'], bias=False)
        self.down_proj = nn.Linear(cfg['intermediate_size'], d, bias=False)

    def repeat_kv(self, kv, b):
        groups = self.h // self.kvh
        return kv.unsqueeze(2).expand(-1, -1, groups, -1, -1).reshape(b, self.h, -1, self.hd)

    def forward(self, x, allowed, cos, sin, past_k, past_v):
        b, t, d = x.shape
        y = self.input_layernorm(x)
        q = self.q_proj(y).view(b, t, self.h, self.hd).transpose(1, 2)
        k = self.k_proj(y).view(b, t, self.kvh, self.hd).transpose(1, 2)
        v = self.v_proj(y).view(b, t, self.kvh, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = torch.cat([past_k, k], dim=2)
        v = torch.cat([past_v, v], dim=2)
        a = attend(q, self.repeat_kv(k, b), self.repeat_kv(v, b), allowed)
        x = x + self.o_proj(a.transpose(1, 2).reshape(b, t, d))
        y = self.post_attention_layernorm(x)
        x = x + self.down_proj(nn.functional.silu(self.gate_proj(y)) * self.up_proj(y))
        return x, k, v


class TinyLlama(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        d = cfg['hidden_size']
        self.hd = d // cfg['num_attention_heads']
        self.embed_tokens = nn.Embedding(cfg['vocab_size'], d)
        self.blocks = nn.ModuleList([LlamaBlock(cfg) for _ in range(cfg['num_hidden_layers'])])
        self.norm = RMSNorm(d, cfg['rms_norm_eps'])
        self.lm_head = nn.Linear(d, cfg['vocab_size'], bias=False)
        inv_freq = 1.0 / (cfg['rope_theta'] ** (torch.arange(0, self.hd, 2).float() / self.hd))
        self.register_buffer('inv_freq', inv_freq)

    def forward(self, input_ids, attention_mask, position_ids, past):
        x = self.embed_tokens(input_ids)
        freqs = position_ids.float().unsqueeze(-1) * self.inv_freq
        emb = torch.cat([freqs, freqs], dim=-1).unsqueeze(1)
        cos, sin = emb.cos(), emb.sin()
        allowed = causal_padding_mask(attention_mask, input_ids.shape[1])
        presents = []
        for i, block in enumerate(self.blocks):
            x, k, v = block(x, allowed, cos, sin, past[2 * i], past[2 * i + 1])
            presents += [k, v]
        return self.lm_head(self.norm(x)), presents

    def kv_shape(self):
        c = self.cfg
        return c['num_hidden_layers'], c['num_key_value_heads'], self.hd


class Exported(nn.Module):
    """Flat ONNX signature: (input_ids, attention_mask, position_ids, *past) -> (logits, *present).

    Without past, the graph also has no position_ids input: positions are 0..T-1 inside the graph,
    as in ONNX exports that ignore padding (so batches must not shift tokens by left padding).
    """

    def __init__(self, model, with_past):
        super().__init__()
        self.model = model
        self.with_past = with_past

    def forward(self, input_ids, attention_mask, *past):
        if self.with_past:
            position_ids, past = past[0], past[1:]
        else:
            position_ids = torch.arange(input_ids.shape[1]).unsqueeze(0).expand(input_ids.shape[0], -1)
            layers, heads, hd = self.model.kv_shape()
            empty = torch.zeros(input_ids.shape[0], heads, 0, hd)
            past = [empty] * (2 * layers)
        logits, presents = self.model(input_ids, attention_mask, position_ids, list(past))
        return (logits, *presents) if self.with_past else logits


def export(model, path, with_past):
    layers, heads, hd = model.kv_shape()
    b, t, p = 2, 3, 4
    input_ids = torch.randint(0, 50, (b, t))
    position_ids = torch.arange(p, p + t).repeat(b, 1)
    names_in = ['input_ids', 'attention_mask']
    names_out = ['logits']
    axes = {'input_ids': {0: 'batch_size', 1: 'sequence_length'},
            'logits': {0: 'batch_size', 1: 'sequence_length'}}
    past = []
    if with_past:
        names_in.append('position_ids')
        axes['position_ids'] = {0: 'batch_size', 1: 'sequence_length'}
        past.append(position_ids)
        for i in range(layers):
            for kind in ('key', 'value'):
                names_in.append(f'past_key_values.{i}.{kind}')
                names_out.append(f'present.{i}.{kind}')
                axes[names_in[-1]] = {0: 'batch_size', 2: 'past_sequence_length'}
                axes[names_out[-1]] = {0: 'batch_size', 2: 'total_sequence_length'}
                past.append(torch.randn(b, heads, p, hd))
        attention_mask = torch.ones(b, p + t, dtype=torch.long)
    else:
        attention_mask = torch.ones(b, t, dtype=torch.long)
    axes['attention_mask'] = {0: 'batch_size', 1: 'total_sequence_length'}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.onnx.export(Exported(model, with_past), (input_ids, attention_mask, *past), path,
                      input_names=names_in, output_names=names_out, dynamic_axes=axes, opset_version=14,
                      do_constant_folding=False)


def reference_logits(model, ids):
    """Eager torch forward of one unpadded prompt, no cache: logits at the last position."""
    layers, heads, hd = model.kv_shape()
    x = torch.tensor([ids])
    empty = [torch.zeros(1, heads, 0, hd)] * (2 * layers)
    with torch.no_grad():
        logits, _ = model(x, torch.ones_like(x), torch.arange(len(ids)).unsqueeze(0), empty)
    return logits[0, -1]


ZERO_SHOT_ITEMS = [
    'a gorgeous , witty , seductive movie .',
    'bad',
    "it 's a charming and often affecting journey .",
    'unflinchingly bleak and desperate',
    'the acting , costumes , music , cinematography and sound are all astounding given the production \'s austere locales .',
    'zyzzyva quixotically',
]
SHOTS = [
    ('a masterpiece four years in the making', 'positive'),
    ('the story is lost in the mayhem', 'negative'),
    ('everything is off .', 'negative'),
    ('a warm , funny , engaging film .', 'positive'),
]


def zero_shot_prompt(instruction, text, answer='Label'):
    return f"{instruction}Sentence: '{text}' \n{answer}:"


def shot_text(text, label, answer='Label'):
    return f"Sentence: '{text}' \n{answer}: {label}\n\n"


def label_token(prompt, label, vocab, add_bos):
    """First token of tokens(prompt + ' ' + label) after tokens(prompt)."""
    prompt_ids = encode(prompt, vocab, add_bos)
    full = encode(prompt + ' ' + label, vocab, add_bos)
    assert full[:len(prompt_ids)] == prompt_ids
    return full[len(prompt_ids)]


def cases(model, vocab, add_bos):
    labels = ['negative', 'positive']
    out = []

    def case(prompt, kind):
        ids = encode(prompt, vocab, add_bos)
        tok = [label_token(prompt, l, vocab, add_bos) for l in labels]
        logits = reference_logits(model, ids)
        out.append({'kind': kind, 'prompt': prompt, 'input_ids': ids, 'labels': labels,
                    'label_token_ids': tok, 'label_logits': [float(logits[t]) for t in tok]})

    for text in ZERO_SHOT_ITEMS:
        case(zero_shot_prompt(SST2_INSTRUCTION, text), 'zero_shot')
    prefix = SST2_INSTRUCTION + ''.join(shot_text(s, l) for s, l in SHOTS)
    for text in ZERO_SHOT_ITEMS:
        case(prefix + zero_shot_prompt('', text), 'icl')
    return {'instruction': SST2_INSTRUCTION, 'icl_prefix': prefix, 'items': ZERO_SHOT_ITEMS,
            'shots': [{'text': s, 'label': l} for s, l in SHOTS], 'cases': out}


def write_json(path, obj):
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(obj, f, indent=1, ensure_ascii=False)
        f.write('\n')


def make(name, model, config, vocab, add_bos, with_past, description):
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    model.eval()
    export(model, os.path.join(directory, 'onnx', 'model.onnx'), with_past)
    write_json(os.path.join(directory, 'config.json'), config)
    write_json(os.path.join(directory, 'tokenizer.json'), tokenizer_json(vocab, add_bos))
    write_json(os.path.join(directory, 'tokenizer_config.json'), {
        'tokenizer_class': 'PreTrainedTokenizer', 'model_max_length': 4096, 'clean_up_tokenization_spaces': True,
        'unk_token': '[UNK]', 'pad_token': '[PAD]', 'bos_token': '<s>', 'eos_token': '</s>',
    })
    expected = cases(model, vocab, add_bos)
    expected['description'] = description
    expected['generator'] = 'scripts/make_test_models.py (eager torch ' + torch.__version__ + ')'
    write_json(os.path.join(directory, 'expected.json'), expected)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--data', default=os.path.join(ROOT, '..', 'shared', 'data'))
    args = parser.parse_args()
    vocab = build_vocab(args.data)
    v = len(vocab)
    specials = {'bos_token_id': vocab['<s>'], 'eos_token_id': vocab['</s>'], 'pad_token_id': vocab['[PAD]']}

    torch.manual_seed(20250101)
    gpt2_cfg = {'model_type': 'gpt2', 'architectures': ['GPT2LMHeadModel'], 'vocab_size': v, 'n_embd': 32,
                'n_layer': 2, 'n_head': 2, 'n_positions': 1024, 'n_ctx': 1024, 'layer_norm_epsilon': 1e-5,
                'activation_function': 'gelu_new', 'tie_word_embeddings': True, **specials}
    gpt2 = TinyGPT2(gpt2_cfg)
    make('tiny-gpt2', gpt2, gpt2_cfg, vocab, False, True,
         'GPT-2-shaped, learned positions, tied embeddings, KV-cache inputs, no BOS')

    torch.manual_seed(20250102)
    llama_cfg = {'model_type': 'llama', 'architectures': ['LlamaForCausalLM'], 'vocab_size': v, 'hidden_size': 32,
                 'intermediate_size': 64, 'num_hidden_layers': 2, 'num_attention_heads': 4,
                 'num_key_value_heads': 2, 'head_dim': 8, 'rms_norm_eps': 1e-6, 'rope_theta': 10000.0,
                 'max_position_embeddings': 8192, 'tie_word_embeddings': False, **specials}
    llama = TinyLlama(llama_cfg)
    make('tiny-llama', llama, llama_cfg, vocab, True, True,
         'Llama-shaped, rotary positions, grouped-query attention, KV-cache inputs, adds BOS')

    torch.manual_seed(20250103)
    nocache_cfg = dict(gpt2_cfg, n_embd=16, n_layer=1, n_head=2, n_positions=512, n_ctx=512, use_cache=False)
    nocache = TinyGPT2(nocache_cfg)
    make('tiny-gpt2-nocache', nocache, nocache_cfg, vocab, False, False,
         'GPT-2-shaped graph without past_key_values or position_ids inputs: positions 0..T-1 are built '
         'inside the graph, so only right padding keeps them right (exercises the uncached fallback)')


if __name__ == '__main__':
    main()
