"""FastAPI + uvicorn + scikit-learn reference for `pnpm bench` (fastapi suite).

What a Python user would write to serve an iris classifier: a scikit-learn MLP trained on the
iris data set at start-up, a pydantic model for the Open Inference Protocol body, one uvicorn
worker (one process, like each of ours). It answers the same OIP JSON request with the same
outputs as our predictor (probabilities, then label). Prints `raw ready` once it listens.
"""
import os
import sys
from typing import List, Optional, Union

import uvicorn
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from sklearn.datasets import load_iris
from sklearn.neural_network import MLPClassifier

LABELS = ["setosa", "versicolor", "virginica"]

iris = load_iris()
model = MLPClassifier(hidden_layer_sizes=(16,), max_iter=2000, random_state=0).fit(iris.data, iris.target)


class Tensor(BaseModel):
    name: str
    datatype: str
    shape: List[int]
    data: List[Union[float, List[float]]]


class InferRequest(BaseModel):
    id: Optional[str] = None
    inputs: List[Tensor]


app = FastAPI()


@app.post("/v2/models/{name}/infer")
def infer(name: str, request: InferRequest):
    tensor = request.inputs[0]
    if len(tensor.shape) != 2 or tensor.shape[1] != 4:
        raise HTTPException(status_code=400, detail="input must be [N, 4]")
    rows = [tensor.data[i * 4:(i + 1) * 4] for i in range(tensor.shape[0])]
    probabilities = model.predict_proba(rows)
    return {
        "model_name": name,
        "id": request.id,
        "outputs": [
            {"name": "probabilities", "datatype": "FP32", "shape": list(probabilities.shape), "data": probabilities.ravel().tolist()},
            {"name": "label", "datatype": "BYTES", "shape": [len(rows)], "data": [LABELS[i] for i in probabilities.argmax(axis=1)]},
        ],
    }


@app.on_event("startup")
def ready() -> None:
    print("raw ready", flush=True)


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("RAW_PORT", "8199")), log_level="warning", access_log=False)
    sys.exit(0)
