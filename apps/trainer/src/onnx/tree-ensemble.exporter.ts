import type { CartTreeNode } from 'ml-cart';
import type { RandomForest } from '../trees/random-forest.js';
import { attr, GraphBuilder, ONNX_ML_DOMAIN } from './graph.builder.js';
import { INPUT_NAME, PROBABILITIES_NAME } from './network.exporter.js';
import type { OnnxModel } from './onnx-model.types.js';
import { OnnxDataType } from './onnx-proto.schema.js';

export const LABEL_NAME = 'label';
const BATCH = 'batch';

export interface TreeEnsembleExportOptions {
  graphName: string;
  producerVersion: string;
  docString?: string;
}

/**
 * The forest as one ONNX-ML TreeEnsembleClassifier. Branches are BRANCH_LT because ml-cart
 * goes left on strictly-less; feature ids are mapped back from each tree's column subset
 * to the input's columns; each leaf carries its class distribution divided by the number
 * of trees, so the summed scores (post_transform NONE) are the forest's mean
 * probabilities. Outputs: `label` INT64 [batch] and `probabilities` FP32 [batch, classes].
 */
export function exportTreeEnsemble(forest: RandomForest, options: TreeEnsembleExportOptions): OnnxModel {
  const nodes = {
    treeIds: [] as number[],
    nodeIds: [] as number[],
    featureIds: [] as number[],
    modes: [] as string[],
    values: [] as number[],
    trueIds: [] as number[],
    falseIds: [] as number[],
  };
  const leaves = { treeIds: [] as number[], nodeIds: [] as number[], classIds: [] as number[], weights: [] as number[] };
  const treeCount = forest.trees.length;

  forest.trees.forEach((tree, treeId) => {
    let nextId = 0;
    // Pre-order numbering; returns the id given to `node`.
    const visit = (node: CartTreeNode): number => {
      const id = nextId++;
      const at = nodes.nodeIds.length;
      nodes.treeIds.push(treeId);
      nodes.nodeIds.push(id);
      if (node.left && node.right) {
        const feature = tree.features[node.splitColumn ?? -1];
        if (feature === undefined || node.splitValue === undefined) throw new Error('malformed ml-cart node');
        nodes.featureIds.push(feature);
        nodes.modes.push('BRANCH_LT');
        nodes.values.push(ceilToFloat32(node.splitValue));
        nodes.trueIds.push(0);
        nodes.falseIds.push(0);
        nodes.trueIds[at] = visit(node.left);
        nodes.falseIds[at] = visit(node.right);
      } else {
        nodes.featureIds.push(0);
        nodes.modes.push('LEAF');
        nodes.values.push(0);
        nodes.trueIds.push(0);
        nodes.falseIds.push(0);
        // ml-cart only lists classes up to the largest one seen in the leaf: pad with 0.
        const distribution = node.distribution?.getRow(0) ?? [];
        for (let c = 0; c < forest.classes; c++) {
          leaves.treeIds.push(treeId);
          leaves.nodeIds.push(id);
          leaves.classIds.push(c);
          leaves.weights.push((distribution[c] ?? 0) / treeCount);
        }
      }
      return id;
    };
    visit(tree.root);
  });

  const g = new GraphBuilder(options.graphName);
  const input = g.input(INPUT_NAME, OnnxDataType.FLOAT, [BATCH, forest.features]);
  g.node('TreeEnsembleClassifier', [input], {
    outputs: [LABEL_NAME, PROBABILITIES_NAME],
    domain: ONNX_ML_DOMAIN,
    attributes: {
      classlabels_int64s: attr.ints([...Array(forest.classes).keys()]),
      nodes_treeids: attr.ints(nodes.treeIds),
      nodes_nodeids: attr.ints(nodes.nodeIds),
      nodes_featureids: attr.ints(nodes.featureIds),
      nodes_modes: attr.strings(nodes.modes),
      nodes_values: attr.floats(nodes.values),
      nodes_truenodeids: attr.ints(nodes.trueIds),
      nodes_falsenodeids: attr.ints(nodes.falseIds),
      class_treeids: attr.ints(leaves.treeIds),
      class_nodeids: attr.ints(leaves.nodeIds),
      class_ids: attr.ints(leaves.classIds),
      class_weights: attr.floats(leaves.weights),
      post_transform: attr.string('NONE'),
    },
  });
  g.output(LABEL_NAME, OnnxDataType.INT64, [BATCH]);
  g.output(PROBABILITIES_NAME, OnnxDataType.FLOAT, [BATCH, forest.classes]);
  return g.model(options.producerVersion, options.docString);
}

/**
 * The smallest float32 that is >= `value`. For any float32 x, x < value exactly when
 * x < ceilToFloat32(value), so the float32 thresholds ONNX stores split float32 inputs
 * exactly as the float64 thresholds of ml-cart do.
 */
export function ceilToFloat32(value: number): number {
  const rounded = Math.fround(value);
  if (rounded >= value || !Number.isFinite(value)) return rounded;
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, rounded);
  const bits = view.getUint32(0);
  // One ulp towards +infinity: up in magnitude when positive, down when negative.
  if (rounded > 0) view.setUint32(0, bits + 1);
  else if (rounded < 0) view.setUint32(0, bits - 1);
  else view.setUint32(0, 1);
  return view.getFloat32(0);
}
