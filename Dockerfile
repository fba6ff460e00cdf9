# Inference image: the committed LiteRT model, the code that reads images, the CLI and the HTTP service.
# No TensorFlow (a few hundred MB instead of two GB). Build: docker build -t digits .
#   docker run --rm -v "$PWD:/in:ro" digits /in/digit.jpg         same output and flags as CNN_usage.py
#   docker run --rm -p 8000:8000 digits serve                     HTTP service (POST /predict, GET /, /docs)
#   docker build --target train -t digits-train .                  TensorFlow too, to train in a container
# The package without its training subpackage: the inference image ships no training code.
FROM python:3.11-slim AS inference-source
COPY digits/ /src/digits/
RUN rm -rf /src/digits/training

FROM python:3.11-slim AS inference

ARG VERSION=1.0.0
LABEL org.opencontainers.image.title="digits" \
      org.opencontainers.image.description="Handwritten digit reader: compact CNN trained on MNIST, LiteRT inference, CLI and HTTP service" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://example.invalid/digits" \
      org.opencontainers.image.licenses="MIT"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DIGITS_HOST=0.0.0.0 \
    DIGITS_PORT=8000

WORKDIR /app
COPY requirements-inference.txt ./
RUN pip install --no-cache-dir -r requirements-inference.txt \
 && useradd --create-home --uid 10001 --shell /usr/sbin/nologin digits

COPY CNN_usage.py ./
COPY --from=inference-source /src/digits/ ./digits/
# Bytecode compiled once here: every `docker run` is a cold start, and PYTHONDONTWRITEBYTECODE keeps the
# interpreter from caching it itself.
RUN python -m compileall -q /app/digits
COPY models/digits_cnn.tflite models/digits_cnn_int8.tflite models/digits_cnn.json ./models/

USER digits
WORKDIR /home/digits
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('DIGITS_PORT', '8000'), timeout=4)"]
ENTRYPOINT ["python", "/app/CNN_usage.py"]
CMD ["--help"]

# Training in a container: docker build --target train -t digits-train . && docker run --rm -v "$PWD/models:/app/models" digits-train
FROM inference AS train
USER root
WORKDIR /app
COPY requirements-training.txt ./
RUN pip install --no-cache-dir -r requirements-training.txt
COPY CNN_model.py ./
COPY digits/training/ ./digits/training/
RUN mkdir -p data && chown -R digits /app/data /app/models
USER digits
ENTRYPOINT ["python", "/app/CNN_model.py"]
CMD []

FROM inference
