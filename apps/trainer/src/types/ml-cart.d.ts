// ml-cart ships no types: the part of its API the forest uses.
declare module 'ml-cart' {
  /** ml-matrix's Matrix, as a leaf distribution (one row, one column per class seen). */
  export interface CartDistribution {
    getRow(index: number): number[];
  }

  /** A trained node: internal when both children exist, else a leaf with a distribution. */
  export interface CartTreeNode {
    splitColumn?: number;
    splitValue?: number;
    left?: CartTreeNode;
    right?: CartTreeNode;
    distribution?: CartDistribution;
  }

  export interface CartClassifierOptions {
    gainFunction?: 'gini';
    splitFunction?: 'mean';
    minNumSamples?: number;
    maxDepth?: number;
    gainThreshold?: number;
  }

  export class DecisionTreeClassifier {
    constructor(options?: CartClassifierOptions);
    root: CartTreeNode;
    train(trainingSet: number[][], trainingLabels: number[]): void;
    predict(toPredict: number[][]): number[];
  }
}
