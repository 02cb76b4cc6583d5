/* Compiled inner loops of search (archive/index/kernels.py is their interface, with the numpy versions they replace).

   Loops that numpy can only do in several passes over large arrays, or Python one block at a time:
   - name_counts: how many of a set of documents hold each name of the multi-valued facets (person, place,
     organization), one pass over the documents' CSR slices instead of a cumsum, a gather and a bincount;
   - table_counts: the same for the one-valued facets (source, month, metadata), a pass instead of two;
   - bm25_add: one term's BM25 scores added to its documents' totals in one pass, not eight;
   - phrase_keys, intersect_sorted, union_sorted and rows_of: a phrase word's candidate positions decoded straight
     into sorted keys, two sets (of documents, or of keys) intersected or joined by one merge, where the candidates
     sit in a word's postings found by one merge, where numpy sorted, or marked or numbered every document;
   - decode_postings: a term's document numbers, weights and (for phrases) values from its compact posting blocks
     (archive/index/whoosh_io.py encode_block, in Whoosh's block framing), every block of every segment in one call
     instead of a Python loop over the blocks and numpy over their sections.

   - term_positions: the index processes' analysis of a text field (archive/text/analysis.py term_positions): the
     words found and numbered in one pass, their terms read from the analyzer's cache, instead of a regex findall and
     three Python passes.

   Plain C on the buffer protocol (numpy arrays, bytes): no numpy headers, so it builds with any C compiler and
   the Python headers. Anything unexpected in a posting list returns None, and the caller decodes it the slow way.
*/
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* A match set's documents are scattered over arrays of megabytes, so each one's entries are a cache miss: the loops
   ask for the entries of the document DISTANCE places ahead while they count this one, so that the misses overlap
   instead of following each other (a 24,000-article count took 5 ms inside a search, 0.5 ms with its arrays
   cached). */
#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(address) __builtin_prefetch(address)
#else
#define PREFETCH(address) ((void)0)
#endif
#define DISTANCE 32

/* Document I of a set given as int32 (SIZE 4) or int64 (SIZE 8) numbers. */
static inline int64_t
doc_at(const Py_buffer *docs, int size, Py_ssize_t i)
{
    return size == 4 ? ((const int32_t *)docs->buf)[i] : ((const int64_t *)docs->buf)[i];
}

/* ------------------------------------------------------------------ name_counts */

static PyObject *
name_counts(PyObject *self, PyObject *args)
{
    Py_buffer names, starts, docs, out;
    int name_size, doc_size;
    if (!PyArg_ParseTuple(args, "y*iy*y*iw*", &names, &name_size, &starts, &docs, &doc_size, &out))
        return NULL;
    PyObject *result = NULL;
    uint32_t *local = NULL;
    Py_ssize_t name_count = names.len / name_size;
    Py_ssize_t doc_count = docs.len / doc_size;
    Py_ssize_t start_count = starts.len / 8;
    Py_ssize_t bins = out.len / 8;
    const int64_t *start = (const int64_t *)starts.buf;
    int64_t *counts = (int64_t *)out.buf;
    if ((name_size != 2 && name_size != 4) || (doc_size != 4 && doc_size != 8)) {
        PyErr_SetString(PyExc_ValueError, "name_counts: names are 2 or 4 bytes, documents 4 or 8");
        goto done;
    }
    /* counted in 32 bits (half the cache a large facet's counts take), then added to OUT */
    local = PyMem_Calloc((size_t)(bins ? bins : 1), sizeof(uint32_t));
    if (local == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < doc_count; i++) {
        int64_t doc = doc_at(&docs, doc_size, i);
        if (doc < 0 || doc + 1 >= start_count) {
            PyErr_SetString(PyExc_IndexError, "name_counts: a document number outside the table");
            goto done;
        }
        if (i + 2 * DISTANCE < doc_count) { /* the slice bounds two steps ahead, the names one step ahead */
            int64_t later = doc_at(&docs, doc_size, i + 2 * DISTANCE);
            if (later >= 0 && later < start_count)
                PREFETCH(start + later);
        }
        if (i + DISTANCE < doc_count) {
            int64_t next = doc_at(&docs, doc_size, i + DISTANCE);
            if (next >= 0 && next < start_count && start[next] >= 0 && start[next] < name_count)
                PREFETCH((const char *)names.buf + start[next] * name_size);
        }
        int64_t from = start[doc], to = start[doc + 1];
        if (from < 0 || from > to || to > name_count) {
            PyErr_SetString(PyExc_IndexError, "name_counts: a slice outside the names");
            goto done;
        }
        if (name_size == 2) {
            const uint16_t *name = (const uint16_t *)names.buf;
            for (int64_t j = from; j < to; j++) {
                if (name[j] >= bins) {
                    PyErr_SetString(PyExc_IndexError, "name_counts: a name number outside the counts");
                    goto done;
                }
                local[name[j]]++;
            }
        } else {
            const int32_t *name = (const int32_t *)names.buf;
            for (int64_t j = from; j < to; j++) {
                if (name[j] < 0 || name[j] >= bins) {
                    PyErr_SetString(PyExc_IndexError, "name_counts: a name number outside the counts");
                    goto done;
                }
                local[name[j]]++;
            }
        }
    }
    for (Py_ssize_t k = 0; k < bins; k++)
        counts[k] += local[k];
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(local);
    PyBuffer_Release(&names);
    PyBuffer_Release(&starts);
    PyBuffer_Release(&docs);
    PyBuffer_Release(&out);
    return result;
}

/* ------------------------------------------------------------------ decode_postings */

#define WEIGHTS_ONE 0
#define WEIGHTS_SAME 1
#define WEIGHTS_INTS 2
#define WEIGHTS_FLOATS 3

/* One unsigned LEB128 number at *at (below end); -1 when it runs past end or is too long. */
static inline int64_t
varint(const unsigned char *data, Py_ssize_t *at, Py_ssize_t end)
{
    int64_t number = 0;
    int shift = 0;
    while (*at < end && shift < 63) {
        unsigned char byte = data[(*at)++];
        number |= (int64_t)(byte & 0x7F) << shift;
        if (byte < 0x80)
            return number;
        shift += 7;
    }
    return -1;
}

#define VALUES_NONE 0
#define VALUES_VARIABLE 1

/* A block's info tuple as Whoosh's writer pickles it (protocol 2: a tuple of six small ints and floats): its
   postings (item 0), compression (item 3) and where the block's data starts; 0 when it is written any other way. */
static int
block_info(const unsigned char *data, Py_ssize_t at, Py_ssize_t end, int64_t *count, int64_t *compression,
           Py_ssize_t *data_start)
{
    if (at + 3 > end || data[at] != 0x80 || data[at + 1] != 0x02 || data[at + 2] != '(')
        return 0;
    at += 3;
    for (int item = 0; item < 6; item++) {
        if (at >= end)
            return 0;
        unsigned char op = data[at];
        int64_t value = 0;
        if (op == 0x4B) { /* K: one-byte int */
            if (at + 2 > end) return 0;
            value = data[at + 1];
            at += 2;
        } else if (op == 0x4D) { /* M: two-byte int */
            if (at + 3 > end) return 0;
            value = data[at + 1] | data[at + 2] << 8;
            at += 3;
        } else if (op == 0x4A) { /* J: four-byte signed int */
            if (at + 5 > end) return 0;
            value = (int32_t)((uint32_t)data[at + 1] | (uint32_t)data[at + 2] << 8 | (uint32_t)data[at + 3] << 16
                              | (uint32_t)data[at + 4] << 24);
            at += 5;
        } else if (op == 0x47) { /* G: a double */
            at += 9;
        } else if (op == 0x8A) { /* LONG1: a length byte, then a little-endian signed int */
            if (at + 2 > end) return 0;
            int size = data[at + 1];
            if (size > 8 || at + 2 + size > end) return 0;
            uint64_t raw = 0;
            for (int k = 0; k < size; k++)
                raw |= (uint64_t)data[at + 2 + k] << (8 * k);
            if (size && size < 8 && (data[at + 1 + size] & 0x80))
                raw |= ~(uint64_t)0 << (8 * size); /* sign */
            value = (int64_t)raw;
            at += 2 + size;
        } else {
            return 0;
        }
        if (item == 0)
            *count = value;
        else if (item == 3)
            *compression = value;
    }
    if (at + 4 > end || memcmp(data + at, "tq\x00.", 4) != 0)
        return 0;
    *data_start = at + 4;
    return 1;
}

/* What a walk over posting ranges fills: NULL ids for the first walk, which only counts. */
typedef struct {
    int with_values;
    PyObject *decompress;   /* zlib.decompress, for blocks whose value lengths are compressed */
    int64_t postings;       /* counted by the first walk */
    int64_t value_bytes;    /* likewise */
    int32_t *ids;
    float *weights;
    int64_t *value_ends;    /* value i ends at value_ends[i] (the offsets after the leading 0) */
    unsigned char *values;
    int64_t filled;
    int64_t values_filled;
} Walk;

/* The value lengths of a block (varints, LENGTH bytes at DATA) as running ends; 0 when they do not make COUNT
   values of SECTION bytes in all. */
static int
value_ends(const unsigned char *data, Py_ssize_t length, int64_t count, int64_t section, Walk *walk)
{
    Py_ssize_t at = 0;
    int64_t sum = 0;
    for (int64_t k = 0; k < count; k++) {
        int64_t value = varint(data, &at, length);
        if (value < 0)
            return 0;
        sum += value;
        walk->value_ends[walk->filled + k] = walk->values_filled + sum;
    }
    return sum == section;
}

/* Walks one range's blocks: counts them when walk->ids is NULL, else decodes them from walk->filled on.
   Returns 0 for a layout it does not know (or -1 with a Python error set). */
static int
walk_range(const unsigned char *data, Py_ssize_t length, int64_t offset, Walk *walk)
{
    if (length < 4 || memcmp(data, "W3Bl", 4) != 0)
        return 0;
    Py_ssize_t position = 4;
    for (;;) {
        if (position + 4 > length)
            return 0;
        int32_t block_length = (int32_t)((uint32_t)data[position] << 24 | (uint32_t)data[position + 1] << 16
                                         | (uint32_t)data[position + 2] << 8 | (uint32_t)data[position + 3]);
        int64_t size = block_length < 0 ? -(int64_t)block_length : block_length;
        Py_ssize_t end = position + 4 + (Py_ssize_t)size;
        if (end > length)
            return 0;
        int64_t count = 0, compression = 0;
        Py_ssize_t at = 0;
        /* every posting takes at least a byte of its block: a larger count is damage, not a block */
        if (!block_info(data, position + 4, end, &count, &compression, &at) || count < 0 || at + 5 > end
            || count > end - at)
            return 0;
        int weight_kind = data[at], value_kind = data[at + 1];
        int64_t sizes[3];
        if (data[at + 2] < 0x80 && data[at + 3] < 0x80 && data[at + 4] < 0x80) {
            sizes[0] = data[at + 2];
            sizes[1] = data[at + 3];
            sizes[2] = data[at + 4];
            at += 5;
        } else {
            at += 2;
            for (int k = 0; k < 3; k++)
                if ((sizes[k] = varint(data, &at, end)) < 0)
                    return 0;
        }
        if (sizes[0] > end - at || sizes[1] > end - at - sizes[0])
            return 0;
        Py_ssize_t id_end = at + (Py_ssize_t)sizes[0];
        Py_ssize_t weight_end = id_end + (Py_ssize_t)sizes[1];
        /* the value lengths (compressed: their size, then the zlib stream) and the values after them */
        Py_ssize_t lengths_at = weight_end, lengths_size = 0, values_at = end;
        if (walk->with_values && value_kind == VALUES_VARIABLE) {
            if (compression) {
                if (weight_end + 4 > end)
                    return 0;
                uint32_t packed;
                memcpy(&packed, data + weight_end, 4);
                lengths_at = weight_end + 4;
                lengths_size = (Py_ssize_t)packed;
            } else {
                lengths_size = (Py_ssize_t)sizes[2];
            }
            if (lengths_size > end - lengths_at)
                return 0;
            values_at = lengths_at + lengths_size;
        }
        if (walk->ids == NULL) {
            walk->postings += count;
            walk->value_bytes += end - values_at;
        } else {
            if (walk->filled + count > walk->postings)
                return 0;
            /* the first number is the segment's local document number, the others gaps */
            int64_t doc = offset;
            for (int64_t k = 0; k < count; k++) {
                int64_t gap = varint(data, &at, id_end);
                if (gap < 0)
                    return 0;
                doc += gap;
                if (doc > INT32_MAX)
                    return 0;
                walk->ids[walk->filled + k] = (int32_t)doc;
            }
            float *out = walk->weights + walk->filled;
            if (weight_kind == WEIGHTS_ONE) {
                for (int64_t k = 0; k < count; k++)
                    out[k] = 1.0f;
            } else if (weight_kind == WEIGHTS_SAME) {
                if (sizes[1] != 4)
                    return 0;
                float same;
                memcpy(&same, data + id_end, 4); /* little-endian hosts only: checked on import */
                for (int64_t k = 0; k < count; k++)
                    out[k] = same;
            } else if (weight_kind == WEIGHTS_INTS) {
                Py_ssize_t w = id_end;
                for (int64_t k = 0; k < count; k++) {
                    int64_t value = varint(data, &w, weight_end);
                    if (value < 0)
                        return 0;
                    out[k] = (float)value;
                }
            } else if (weight_kind == WEIGHTS_FLOATS) {
                if (sizes[1] != 4 * count)
                    return 0;
                memcpy(out, data + id_end, (size_t)(4 * count));
            } else {
                return 0;
            }
            if (walk->with_values) {
                int64_t section = end - values_at;
                if (walk->values_filled + section > walk->value_bytes)
                    return 0;
                if (value_kind != VALUES_VARIABLE) { /* no values kept (or fixed-size ones): empty values */
                    for (int64_t k = 0; k < count; k++)
                        walk->value_ends[walk->filled + k] = walk->values_filled;
                    section = 0;
                } else if (compression) {
                    PyObject *packed = PyBytes_FromStringAndSize((const char *)data + lengths_at, lengths_size);
                    if (packed == NULL)
                        return -1;
                    PyObject *lengths = PyObject_CallOneArg(walk->decompress, packed);
                    Py_DECREF(packed);
                    if (lengths == NULL) {
                        PyErr_Clear(); /* not a zlib stream: damage, left to the Python decoder to report */
                        return 0;
                    }
                    int fits = PyBytes_Check(lengths)
                        && value_ends((const unsigned char *)PyBytes_AS_STRING(lengths), PyBytes_GET_SIZE(lengths),
                                      count, section, walk);
                    Py_DECREF(lengths);
                    if (!fits)
                        return 0;
                } else if (!value_ends(data + lengths_at, lengths_size, count, section, walk)) {
                    return 0;
                }
                memcpy(walk->values + walk->values_filled, data + values_at, (size_t)section);
                walk->values_filled += section;
            }
            walk->filled += count;
        }
        if (block_length < 0)
            return 1;
        position = end;
    }
}

static PyObject *zlib_decompress = NULL;

static PyObject *
decode_postings(PyObject *self, PyObject *args)
{
    PyObject *ranges, *decompress = Py_None;
    int with_values = 0;
    if (!PyArg_ParseTuple(args, "O!|pO", &PyList_Type, &ranges, &with_values, &decompress))
        return NULL;
    Py_ssize_t range_count = PyList_GET_SIZE(ranges);
    Py_buffer *views = PyMem_Calloc((size_t)(range_count ? range_count : 1), sizeof(Py_buffer));
    int64_t *offsets = PyMem_Calloc((size_t)(range_count ? range_count : 1), sizeof(int64_t));
    Py_ssize_t held = 0;
    PyObject *result = NULL, *id_bytes = NULL, *weight_bytes = NULL, *end_bytes = NULL, *value_bytes = NULL;
    if (views == NULL || offsets == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (; held < range_count; held++) {
        PyObject *item = PyList_GET_ITEM(ranges, held);
        PyObject *data;
        long long offset;
        if (!PyArg_ParseTuple(item, "OL", &data, &offset))
            goto done;
        if (PyObject_GetBuffer(data, &views[held], PyBUF_SIMPLE) < 0)
            goto done;
        offsets[held] = offset;
    }
    if (with_values && decompress == Py_None && zlib_decompress == NULL) {
        PyObject *zlib = PyImport_ImportModule("zlib");
        if (zlib == NULL)
            goto done;
        zlib_decompress = PyObject_GetAttrString(zlib, "decompress");
        Py_DECREF(zlib);
        if (zlib_decompress == NULL)
            goto done;
    }
    Walk walk = {0};
    walk.with_values = with_values;
    walk.decompress = decompress == Py_None ? zlib_decompress : decompress; /* the caller's inflater, if given */
    int known = 1;
    for (Py_ssize_t i = 0; i < range_count && known == 1; i++)
        known = walk_range(views[i].buf, views[i].len, offsets[i], &walk);
    if (known != 1 || walk.postings > INT32_MAX) {
        result = known < 0 ? NULL : Py_NewRef(Py_None);
        goto done;
    }
    id_bytes = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)(walk.postings * 4));
    weight_bytes = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)(walk.postings * 4));
    end_bytes = PyByteArray_FromStringAndSize(NULL, with_values ? (Py_ssize_t)((walk.postings + 1) * 8) : 0);
    value_bytes = PyByteArray_FromStringAndSize(NULL, with_values ? (Py_ssize_t)walk.value_bytes : 0);
    if (id_bytes == NULL || weight_bytes == NULL || end_bytes == NULL || value_bytes == NULL)
        goto done;
    walk.ids = (int32_t *)PyByteArray_AS_STRING(id_bytes);
    walk.weights = (float *)PyByteArray_AS_STRING(weight_bytes);
    if (with_values) {
        int64_t *ends = (int64_t *)PyByteArray_AS_STRING(end_bytes);
        ends[0] = 0; /* the offsets array: value i is values[offsets[i]:offsets[i + 1]] */
        walk.value_ends = ends + 1;
        walk.values = (unsigned char *)PyByteArray_AS_STRING(value_bytes);
    }
    for (Py_ssize_t i = 0; i < range_count && known == 1; i++)
        known = walk_range(views[i].buf, views[i].len, offsets[i], &walk);
    if (known != 1 || walk.filled != walk.postings || walk.values_filled != (with_values ? walk.value_bytes : 0)) {
        result = known < 0 ? NULL : Py_NewRef(Py_None);
        goto done;
    }
    result = with_values ? PyTuple_Pack(4, id_bytes, weight_bytes, end_bytes, value_bytes)
                         : PyTuple_Pack(2, id_bytes, weight_bytes);
done:
    for (Py_ssize_t i = 0; i < held; i++)
        PyBuffer_Release(&views[i]);
    PyMem_Free(views);
    PyMem_Free(offsets);
    Py_XDECREF(id_bytes);
    Py_XDECREF(weight_bytes);
    Py_XDECREF(end_bytes);
    Py_XDECREF(value_bytes);
    return result;
}

/* ------------------------------------------------------------------ bm25_add */

/* Adds one term's BM25 score to each of its documents, in float32 exactly as archive/search/engine.py's numpy
   formula rounds it (each operation in the same order, every constant rounded to float first). */
static PyObject *
bm25_add(PyObject *self, PyObject *args)
{
    Py_buffer totals, ids, frequencies, lengths;
    double idf, average, k1, b;
    if (!PyArg_ParseTuple(args, "w*y*y*y*dddd", &totals, &ids, &frequencies, &lengths, &idf, &average, &k1, &b))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t count = ids.len / 4, size = totals.len / 4;
    if (frequencies.len != ids.len || lengths.len != totals.len) {
        PyErr_SetString(PyExc_ValueError, "bm25_add: one frequency per posting, one length per document");
        goto done;
    }
    float *total = (float *)totals.buf;
    const int32_t *doc = (const int32_t *)ids.buf;
    const float *tf = (const float *)frequencies.buf, *length = (const float *)lengths.buf;
    const float f_idf = (float)idf, f_average = (float)average, f_k1 = (float)k1, f_b = (float)b;
    const float f_k1_1 = (float)(k1 + 1), f_1_b = (float)(1 - b);
    for (Py_ssize_t i = 0; i < count; i++) {
        if (doc[i] < 0 || doc[i] >= size) {
            PyErr_SetString(PyExc_IndexError, "bm25_add: a document number outside the table");
            goto done;
        }
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        int32_t d = doc[i];
        if (i + DISTANCE < count) {
            PREFETCH(length + doc[i + DISTANCE]);
            PREFETCH(total + doc[i + DISTANCE]);
        }
        float norm = f_k1 * (f_1_b + (f_b * length[d]) / f_average);
        float score = (f_idf * (tf[i] * f_k1_1)) / (tf[i] + norm);
        total[d] = total[d] + score;
    }
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&totals);
    PyBuffer_Release(&ids);
    PyBuffer_Release(&frequencies);
    PyBuffer_Release(&lengths);
    return result;
}

/* ------------------------------------------------------------------ phrase_keys, intersect_sorted */

/* A phrase word's (candidate, phrase start) keys: for each candidate c, the word's positions in it (VarintPositions:
   gaps as varints, in data[offsets[rows[c]]:offsets[rows[c] + 1]]) less the word's place in the phrase (OFFSET),
   as c * 2**32 + start, ascending and without repeats; starts before the field's first word are dropped. None for
   positions that do not decode, or out of order (the caller's numpy way copes with those). */
static PyObject *
phrase_keys(PyObject *self, PyObject *args)
{
    Py_buffer data, offsets, rows;
    long long word_offset;
    if (!PyArg_ParseTuple(args, "y*y*y*L", &data, &offsets, &rows, &word_offset))
        return NULL;
    PyObject *result = NULL, *keys = NULL;
    const unsigned char *bytes = (const unsigned char *)data.buf;
    const int64_t *offset = (const int64_t *)offsets.buf;
    const int64_t *row = (const int64_t *)rows.buf;
    Py_ssize_t row_count = rows.len / 8, value_count = offsets.len / 8 - 1;
    int64_t most = 0; /* every position takes at least a byte */
    for (Py_ssize_t c = 0; c < row_count; c++) {
        int64_t r = row[c];
        if (r < 0 || r >= value_count || offset[r] < 0 || offset[r] > offset[r + 1] || offset[r + 1] > data.len) {
            PyErr_SetString(PyExc_IndexError, "phrase_keys: a row outside the values");
            goto done;
        }
        most += offset[r + 1] - offset[r];
    }
    keys = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)(most * 8));
    if (keys == NULL)
        goto done;
    int64_t *out = (int64_t *)PyByteArray_AS_STRING(keys);
    Py_ssize_t filled = 0;
    for (Py_ssize_t c = 0; c < row_count; c++) {
        Py_ssize_t at = (Py_ssize_t)offset[row[c]], end = (Py_ssize_t)offset[row[c] + 1];
        int64_t position = 0, base = (int64_t)c << 32;
        while (at < end) {
            int64_t gap = varint(bytes, &at, end);
            if (gap < 0) {
                result = Py_NewRef(Py_None);
                goto done;
            }
            position += gap;
            if (position < word_offset || position - word_offset >= ((int64_t)1 << 32))
                continue;
            int64_t key = base + (position - word_offset);
            if (filled && out[filled - 1] >= key) {
                if (out[filled - 1] == key)
                    continue;
                result = Py_NewRef(Py_None);
                goto done;
            }
            out[filled++] = key;
        }
    }
    if (PyByteArray_Resize(keys, filled * 8) < 0)
        goto done;
    result = Py_NewRef(keys);
done:
    Py_XDECREF(keys);
    PyBuffer_Release(&data);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&rows);
    return result;
}

/* The values in both of two ascending arrays without repeats, by one merge. */
#define MERGE_BOTH(type)                                                                                            \
    {                                                                                                               \
        const type *x = (const type *)a.buf, *y = (const type *)b.buf;                                              \
        type *out = (type *)PyByteArray_AS_STRING(both);                                                            \
        while (i < na && j < nb) {                                                                                  \
            if (x[i] < y[j]) {                                                                                      \
                i++;                                                                                                \
            } else if (y[j] < x[i]) {                                                                               \
                j++;                                                                                                \
            } else {                                                                                                \
                if (!filled || out[filled - 1] != x[i])                                                             \
                    out[filled++] = x[i];                                                                           \
                i++;                                                                                                \
                j++;                                                                                                \
            }                                                                                                       \
        }                                                                                                           \
    }

static PyObject *
intersect_sorted(PyObject *self, PyObject *args)
{
    Py_buffer a, b;
    int size = 8;
    if (!PyArg_ParseTuple(args, "y*y*|i", &a, &b, &size))
        return NULL;
    PyObject *both = NULL;
    if (size != 4 && size != 8) {
        PyErr_SetString(PyExc_ValueError, "intersect_sorted: values are 4 or 8 bytes");
        goto done;
    }
    Py_ssize_t na = a.len / size, nb = b.len / size, i = 0, j = 0, filled = 0;
    both = PyByteArray_FromStringAndSize(NULL, (na < nb ? na : nb) * size);
    if (both == NULL)
        goto done;
    if (size == 8)
        MERGE_BOTH(int64_t)
    else
        MERGE_BOTH(int32_t)
    if (PyByteArray_Resize(both, filled * size) < 0)
        Py_CLEAR(both);
done:
    PyBuffer_Release(&a);
    PyBuffer_Release(&b);
    return both;
}

/* The values in either of two ascending int32 arrays (each without repeats), ascending, by one merge. */
static PyObject *
union_sorted(PyObject *self, PyObject *args)
{
    Py_buffer a, b;
    if (!PyArg_ParseTuple(args, "y*y*", &a, &b))
        return NULL;
    Py_ssize_t na = a.len / 4, nb = b.len / 4, i = 0, j = 0, filled = 0;
    const int32_t *x = (const int32_t *)a.buf, *y = (const int32_t *)b.buf;
    PyObject *either = PyByteArray_FromStringAndSize(NULL, (na + nb) * 4);
    if (either != NULL) {
        int32_t *out = (int32_t *)PyByteArray_AS_STRING(either);
        while (i < na && j < nb) {
            if (x[i] < y[j]) {
                out[filled++] = x[i++];
            } else if (y[j] < x[i]) {
                out[filled++] = y[j++];
            } else {
                out[filled++] = x[i++];
                j++;
            }
        }
        while (i < na)
            out[filled++] = x[i++];
        while (j < nb)
            out[filled++] = y[j++];
        if (PyByteArray_Resize(either, filled * 4) < 0)
            Py_CLEAR(either);
    }
    PyBuffer_Release(&a);
    PyBuffer_Release(&b);
    return either;
}

/* Where each of WANTED (ascending int32 document numbers, all in IDS) sits in IDS (ascending int32), by one merge:
   int64 rows, or None when one of WANTED is not in IDS. */
static PyObject *
rows_of(PyObject *self, PyObject *args)
{
    Py_buffer ids, wanted;
    if (!PyArg_ParseTuple(args, "y*y*", &ids, &wanted))
        return NULL;
    Py_ssize_t n = ids.len / 4, m = wanted.len / 4, i = 0;
    const int32_t *x = (const int32_t *)ids.buf, *y = (const int32_t *)wanted.buf;
    PyObject *rows = PyByteArray_FromStringAndSize(NULL, m * 8);
    if (rows != NULL) {
        int64_t *out = (int64_t *)PyByteArray_AS_STRING(rows);
        for (Py_ssize_t k = 0; k < m; k++) {
            while (i < n && x[i] < y[k])
                i++;
            if (i == n || x[i] != y[k]) {
                Py_DECREF(rows);
                rows = Py_NewRef(Py_None);
                break;
            }
            out[k] = i;
        }
    }
    PyBuffer_Release(&ids);
    PyBuffer_Release(&wanted);
    return rows;
}

/* ------------------------------------------------------------------ table_counts */

/* How many of a set of documents have each value of a one-valued facet (source, month, a metadata facet): adds one
   to out[table[d]] for each document d of DOCS, in one pass (numpy gathers, then counts). */
static PyObject *
table_counts(PyObject *self, PyObject *args)
{
    Py_buffer table, docs, out;
    int doc_size;
    if (!PyArg_ParseTuple(args, "y*y*iw*", &table, &docs, &doc_size, &out))
        return NULL;
    PyObject *result = NULL;
    const int32_t *value = (const int32_t *)table.buf;
    int64_t *counts = (int64_t *)out.buf;
    Py_ssize_t rows = table.len / 4, doc_count = docs.len / doc_size, bins = out.len / 8;
    if (doc_size != 4 && doc_size != 8) {
        PyErr_SetString(PyExc_ValueError, "table_counts: documents are 4 or 8 bytes");
        goto done;
    }
    for (Py_ssize_t i = 0; i < doc_count; i++) {
        int64_t doc = doc_at(&docs, doc_size, i);
        if (i + DISTANCE < doc_count) {
            int64_t next = doc_at(&docs, doc_size, i + DISTANCE);
            if (next >= 0 && next < rows)
                PREFETCH(value + next);
        }
        if (doc < 0 || doc >= rows || value[doc] < 0 || value[doc] >= bins) {
            PyErr_SetString(PyExc_IndexError, "table_counts: a document or value outside the table");
            goto done;
        }
        counts[value[doc]]++;
    }
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&table);
    PyBuffer_Release(&docs);
    PyBuffer_Release(&out);
    return result;
}

/* ------------------------------------------------------------------ words of a text */

#define MAX_IN_WORD_RANGES 32

/* The characters besides letters and digits that WORD_PATTERN lets inside a word (archive/text/analysis.py
   IN_WORD_RANGES: harakat, tatweel, zero-width joiners), as (first, last) code point pairs. */
typedef struct {
    Py_UCS4 low[MAX_IN_WORD_RANGES], high[MAX_IN_WORD_RANGES];
    Py_ssize_t count;
} InWord;

static int
read_in_word(PyObject *ranges, InWord *in_word, const char *caller)
{
    in_word->count = PyTuple_GET_SIZE(ranges);
    if (in_word->count > MAX_IN_WORD_RANGES) {
        PyErr_Format(PyExc_ValueError, "%s: at most 32 in-word character ranges", caller);
        return -1;
    }
    for (Py_ssize_t r = 0; r < in_word->count; r++) {
        unsigned int first, last;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(ranges, r), "II", &first, &last))
            return -1;
        in_word->low[r] = first;
        in_word->high[r] = last;
    }
    return 0;
}

/* The next word of TEXT at or after *AT, as WORD_PATTERN finds it (a letter or digit, then any run of letters,
   digits and in-word characters): 1 with its [*START, *AT) set, 0 when there is none. */
static int
next_word(int kind, const void *data, Py_ssize_t size, const InWord *in_word, Py_ssize_t *at, Py_ssize_t *start)
{
    Py_ssize_t i = *at;
    while (i < size && !Py_UNICODE_ISALNUM(PyUnicode_READ(kind, data, i)))
        i++;
    if (i >= size) {
        *at = i;
        return 0;
    }
    *start = i++;
    while (i < size) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        int inside = Py_UNICODE_ISALNUM(c);
        for (Py_ssize_t r = 0; r < in_word->count && !inside; r++)
            inside = c >= in_word->low[r] && c <= in_word->high[r];
        if (!inside)
            break;
        i++;
    }
    *at = i;
    return 1;
}

/* The term of TEXT[start:end] (a new reference: a str or None) from CACHE (raw word -> term or None) or, when
   missing, from MISS(word), which may add it to the cache or empty the cache when full; NULL on an error. */
static PyObject *
term_of_word(PyObject *text, Py_ssize_t start, Py_ssize_t end, PyObject *cache, PyObject *miss, const char *caller)
{
    PyObject *word = PyUnicode_Substring(text, start, end);
    if (word == NULL)
        return NULL;
    PyObject *term = PyDict_GetItemWithError(cache, word); /* borrowed: taken before anything can change it */
    if (term != NULL)
        Py_INCREF(term);
    else if (!PyErr_Occurred())
        term = PyObject_CallOneArg(miss, word);
    Py_DECREF(word);
    if (term != NULL && term != Py_None && !PyUnicode_Check(term)) {
        Py_DECREF(term);
        PyErr_Format(PyExc_TypeError, "%s: a term that is neither a str nor None", caller);
        return NULL;
    }
    return term;
}

/* ------------------------------------------------------------------ term_positions */

/* archive/text/analysis.py term_positions, for the index processes: the words of TEXT, each word's term from CACHE
   or MISS(word) (term_of_word); {term: [position, ...]} with the positions ArabicTermFilter gives: the first kept
   term at its word's place, each later kept term one more than the previous kept one. */
static PyObject *
term_positions(PyObject *self, PyObject *args)
{
    PyObject *text, *cache, *miss, *ranges;
    if (!PyArg_ParseTuple(args, "UO!OO!", &text, &PyDict_Type, &cache, &miss, &PyTuple_Type, &ranges))
        return NULL;
    InWord in_word;
    if (read_in_word(ranges, &in_word, "term_positions") < 0)
        return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t size = PyUnicode_GET_LENGTH(text);
    PyObject *positions = PyDict_New();
    if (positions == NULL)
        return NULL;
    Py_ssize_t word_number = 0, position = -1; /* position: of the next kept term, once the first is met */
    Py_ssize_t i = 0, start;
    while (next_word(kind, data, size, &in_word, &i, &start)) {
        PyObject *term = term_of_word(text, start, i, cache, miss, "term_positions");
        if (term == NULL)
            goto fail;
        if (term == Py_None) {
            Py_DECREF(term);
            word_number++;
            continue;
        }
        if (position < 0)
            position = word_number;
        PyObject *at = PyLong_FromSsize_t(position++);
        PyObject *list = at != NULL ? PyDict_GetItemWithError(positions, term) : NULL; /* borrowed */
        int failed = at == NULL || PyErr_Occurred();
        if (!failed && list == NULL) {
            list = PyList_New(0);
            failed = list == NULL || PyDict_SetItem(positions, term, list) < 0;
            Py_XDECREF(list); /* the dictionary holds it */
        }
        failed = failed || PyList_Append(list, at) < 0;
        Py_XDECREF(at);
        Py_DECREF(term);
        if (failed)
            goto fail;
        word_number++;
    }
    return positions;
fail:
    Py_DECREF(positions);
    return NULL;
}

/* ------------------------------------------------------------------ word_matches */

/* archive/search/snippets.py find_matches: [(start, end, term), ...] of the words of TEXT whose term (CACHE or
   MISS, as term_positions) is a key of WANTED ({term: its number, 0 .. len(WANTED) - 1}). With STOP, the scan ends
   at the first match after which the last 4 * len(WANTED) matches starting within WINDOW characters before it hold
   every wanted term (a snippet needs no more). */
static PyObject *
word_matches(PyObject *self, PyObject *args)
{
    PyObject *text, *cache, *miss, *ranges, *wanted;
    int stop;
    Py_ssize_t window;
    if (!PyArg_ParseTuple(args, "UO!OO!O!pn", &text, &PyDict_Type, &cache, &miss, &PyTuple_Type, &ranges,
                          &PyDict_Type, &wanted, &stop, &window))
        return NULL;
    InWord in_word;
    if (read_in_word(ranges, &in_word, "word_matches") < 0)
        return NULL;
    Py_ssize_t need = PyDict_GET_SIZE(wanted);
    PyObject *found = PyList_New(0);
    if (found == NULL || need == 0)
        return found;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t size = PyUnicode_GET_LENGTH(text);
    /* each match's start and term number; seen[n]: the last match count at which term n was counted */
    Py_ssize_t capacity = 16, count = 0;
    Py_ssize_t *starts = PyMem_Malloc(capacity * sizeof(Py_ssize_t));
    Py_ssize_t *numbers = PyMem_Malloc(capacity * sizeof(Py_ssize_t));
    Py_ssize_t *seen = PyMem_Malloc(need * sizeof(Py_ssize_t));
    if (starts == NULL || numbers == NULL || seen == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t n = 0; n < need; n++)
        seen[n] = -1;
    Py_ssize_t i = 0, start;
    while (next_word(kind, data, size, &in_word, &i, &start)) {
        PyObject *term = term_of_word(text, start, i, cache, miss, "word_matches");
        if (term == NULL)
            goto fail;
        PyObject *number = term == Py_None ? NULL : PyDict_GetItemWithError(wanted, term); /* borrowed */
        if (number == NULL) {
            Py_DECREF(term);
            if (PyErr_Occurred())
                goto fail;
            continue;
        }
        Py_ssize_t n = PyLong_AsSsize_t(number);
        if (n < 0 || n >= need) {
            Py_DECREF(term);
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "word_matches: a wanted term's number outside 0 .. len(wanted)");
            goto fail;
        }
        PyObject *match = Py_BuildValue("(nnN)", start, i, term); /* takes the reference to term */
        if (match == NULL || PyList_Append(found, match) < 0) {
            Py_XDECREF(match);
            goto fail;
        }
        Py_DECREF(match);
        if (count == capacity) {
            capacity *= 2;
            Py_ssize_t *more_starts = PyMem_Realloc(starts, capacity * sizeof(Py_ssize_t));
            if (more_starts != NULL)
                starts = more_starts;
            Py_ssize_t *more_numbers = PyMem_Realloc(numbers, capacity * sizeof(Py_ssize_t));
            if (more_numbers != NULL)
                numbers = more_numbers;
            if (more_starts == NULL || more_numbers == NULL) {
                PyErr_NoMemory();
                goto fail;
            }
        }
        starts[count] = start;
        numbers[count] = n;
        count++;
        if (stop) {
            Py_ssize_t distinct = 0, from = count > 4 * need ? count - 4 * need : 0;
            for (Py_ssize_t m = from; m < count; m++) {
                if (starts[m] >= start - window && seen[numbers[m]] != count) {
                    seen[numbers[m]] = count;
                    distinct++;
                }
            }
            if (distinct == need)
                break;
        }
    }
    PyMem_Free(starts);
    PyMem_Free(numbers);
    PyMem_Free(seen);
    return found;
fail:
    PyMem_Free(starts);
    PyMem_Free(numbers);
    PyMem_Free(seen);
    Py_DECREF(found);
    return NULL;
}

/* ------------------------------------------------------------------ top_counts */

/* docarrays._top's choice: the numbers of the LIMIT largest nonzero counts of COUNTS (int32 or int64, SIZE bytes
   each), by count descending then number ascending, as a list. One pass with a heap of LIMIT (worst on top) where
   numpy found the nonzero counts, partitioned them and sorted the rest. */
static int
worse(int64_t count_a, Py_ssize_t number_a, int64_t count_b, Py_ssize_t number_b)
{
    return count_a < count_b || (count_a == count_b && number_a > number_b);
}

/* (VALUE, NUMBER) into the heap of HELD entries (worst on top) whose top is free: down from the top while a child
   is worse. */
static void
sift_down(int64_t *heap_count, Py_ssize_t *heap_number, Py_ssize_t held, int64_t value, Py_ssize_t number)
{
    Py_ssize_t at = 0;
    for (;;) {
        Py_ssize_t child = 2 * at + 1;
        if (child >= held)
            break;
        if (child + 1 < held && worse(heap_count[child + 1], heap_number[child + 1], heap_count[child],
                                      heap_number[child]))
            child++;
        if (!worse(heap_count[child], heap_number[child], value, number))
            break;
        heap_count[at] = heap_count[child];
        heap_number[at] = heap_number[child];
        at = child;
    }
    heap_count[at] = value;
    heap_number[at] = number;
}

static PyObject *
top_counts(PyObject *self, PyObject *args)
{
    Py_buffer counts;
    int size;
    Py_ssize_t limit;
    if (!PyArg_ParseTuple(args, "y*in", &counts, &size, &limit))
        return NULL;
    PyObject *result = NULL;
    int64_t *heap_count = NULL;
    Py_ssize_t *heap_number = NULL;
    if (size != 4 && size != 8) {
        PyErr_SetString(PyExc_ValueError, "top_counts: counts are 4 or 8 bytes");
        goto done;
    }
    Py_ssize_t total = counts.len / size, held = 0;
    if (limit > total)
        limit = total;
    if (limit <= 0) {
        result = PyList_New(0);
        goto done;
    }
    heap_count = PyMem_Malloc(limit * sizeof(int64_t));
    heap_number = PyMem_Malloc(limit * sizeof(Py_ssize_t));
    if (heap_count == NULL || heap_number == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < total; i++) {
        int64_t value = size == 4 ? ((const int32_t *)counts.buf)[i] : ((const int64_t *)counts.buf)[i];
        if (value == 0)
            continue;
        if (held < limit) { /* add at the bottom, then up while worse than its parent */
            Py_ssize_t at = held++;
            while (at > 0) {
                Py_ssize_t parent = (at - 1) / 2;
                if (!worse(value, i, heap_count[parent], heap_number[parent]))
                    break;
                heap_count[at] = heap_count[parent];
                heap_number[at] = heap_number[parent];
                at = parent;
            }
            heap_count[at] = value;
            heap_number[at] = i;
        } else if (worse(heap_count[0], heap_number[0], value, i)) { /* in place of the worst */
            sift_down(heap_count, heap_number, held, value, i);
        }
    }
    /* best first: take the worst off the heap, filling the list from its end */
    result = PyList_New(held);
    if (result == NULL)
        goto done;
    for (Py_ssize_t last = held - 1; last >= 0; last--) {
        PyObject *number = PyLong_FromSsize_t(heap_number[0]);
        if (number == NULL) {
            Py_CLEAR(result);
            goto done;
        }
        PyList_SET_ITEM(result, last, number);
        sift_down(heap_count, heap_number, last, heap_count[last], heap_number[last]); /* the last in its place */
    }
done:
    PyMem_Free(heap_count);
    PyMem_Free(heap_number);
    PyBuffer_Release(&counts);
    return result;
}

/* ------------------------------------------------------------------ module */

static PyMethodDef methods[] = {
    {"term_positions", term_positions, METH_VARARGS,
     "term_positions(text, cache, miss, in_word_ranges): {term: [position, ...]} of TEXT as "
     "archive.text.analysis.term_positions gives it, each word's term from CACHE or MISS(word)."},
    {"word_matches", word_matches, METH_VARARGS,
     "word_matches(text, cache, miss, in_word_ranges, wanted, stop, window): [(start, end, term), ...] of the words "
     "of TEXT whose term is a key of WANTED ({term: number}), as archive/search/snippets.py find_matches gives them."},
    {"top_counts", top_counts, METH_VARARGS,
     "top_counts(counts, size, limit): the numbers of the LIMIT largest nonzero counts (int32 or int64 of SIZE "
     "bytes), by count descending then number ascending."},
    {"name_counts", name_counts, METH_VARARGS,
     "name_counts(names, name_size, starts, docs, doc_size, out): adds to OUT (int64) one for each name of each "
     "document of DOCS (names[starts[d]:starts[d + 1]], starts int64)."},
    {"decode_postings", decode_postings, METH_VARARGS,
     "decode_postings([(range bytes, first document number), ...], with_values=False, decompress=zlib.decompress): "
     "(ids int32, weights float32) as bytearrays, with values also (offsets int64, value bytes); None for a layout "
     "it does not know."},
    {"bm25_add", bm25_add, METH_VARARGS,
     "bm25_add(totals, ids, frequencies, lengths, idf, average length, k1, b): adds each posting's BM25 score "
     "(float32) to totals[id]."},
    {"phrase_keys", phrase_keys, METH_VARARGS,
     "phrase_keys(data, offsets, rows, offset): a phrase word's (candidate << 32) + start keys, ascending (int64)."},
    {"intersect_sorted", intersect_sorted, METH_VARARGS,
     "intersect_sorted(a, b, size=8): the values of two ascending arrays (int64, or int32 with size 4) found in "
     "both, as a bytearray of the same type."},
    {"union_sorted", union_sorted, METH_VARARGS,
     "union_sorted(a, b): the values of two ascending int32 arrays in either, ascending (int32 bytearray)."},
    {"rows_of", rows_of, METH_VARARGS,
     "rows_of(ids, wanted): where each of WANTED sits in IDS (ascending int32 both), int64; None for one missing."},
    {"table_counts", table_counts, METH_VARARGS,
     "table_counts(table, docs, doc_size, out): adds one to out[table[d]] (int32 table, int64 out) for each d."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kernels", NULL, -1, methods};

PyMODINIT_FUNC
PyInit__kernels(void)
{
    return PyModule_Create(&module);
}
